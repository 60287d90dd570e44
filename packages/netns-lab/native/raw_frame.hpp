// Ethernet/IP/UDP frames for mcr-send --raw: everything but the payload is fixed per stream, so
// it is built once (a template) and copied in front of every payload; only the UDP checksum
// follows the payload, from the template's partial sum plus the payload's (payloadCsum).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli_util.hpp"

namespace mcr {

constexpr size_t kEthHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kUdpHeader = 8;
constexpr size_t kMaxFrameHeader = kEthHeader + kIpv6Header + kUdpHeader;

// What a raw sender needs of its interface, read once before sending.
struct LinkInfo {
  std::string name;
  unsigned ifindex = 0;
  uint8_t mac[6]{};
  unsigned mtu = 0;
  // IPv4: the interface's (first) address; IPv6: a global one if it has any, else its link-local.
  IpAddress source;
};

// Reads ifname's index, MAC, MTU and source address of `family`. A missing interface or address,
// or an MTU too small for payloadLen unfragmented, is a UsageError naming the flag.
LinkInfo readLinkInfo(const std::string& ifname, int family, size_t payloadLen);

// The Ethernet multicast address of an IPv4 group (01:00:5e + low 23 bits) or IPv6 group
// (33:33 + low 32 bits).
void multicastMac(const IpAddress& group, uint8_t mac[6]);

struct FrameTemplate {
  uint8_t bytes[kMaxFrameHeader]{};
  size_t headerLen = 0;   // Ethernet + IP + UDP: where the payload starts
  size_t udpOffset = 0;
  uint64_t csumBase = 0;  // pseudo-header + UDP header (checksum field 0), unfolded
};

// Headers for a payloadLen-byte datagram from link's address and srcPort to the group dst (its
// port set), with TTL / hop limit ttl. IPv4: DF set and ID 0 (an atomic datagram, RFC 6864, as
// an unconnected UDP socket sends it), header checksum filled in.
FrameTemplate buildFrameTemplate(const LinkInfo& link, const IpAddress& dst, uint16_t srcPort, int ttl, size_t payloadLen);

// Stores the UDP checksum of frame (template headers + payload) given the payload's unfolded sum.
inline void finishUdpChecksum(uint8_t* frame, const FrameTemplate& t, uint64_t payloadSum) {
  uint64_t acc = t.csumBase + payloadSum;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  uint16_t csum = static_cast<uint16_t>(~acc);
  if (csum == 0) csum = 0xffff;  // 0 means "no checksum" in IPv4 and is invalid in IPv6
  frame[t.udpOffset + 6] = static_cast<uint8_t>(csum >> 8);
  frame[t.udpOffset + 7] = static_cast<uint8_t>(csum);
}

}  // namespace mcr
