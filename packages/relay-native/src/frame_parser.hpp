// Pure C++ frame parser shared by the hot path, parseFrame() and the bench entry: Ethernet, at most
// one 802.1Q tag, IPv4 (options, fragments) or IPv6 (Hop-by-Hop and Destination Options headers
// walked, a bounded number), UDP. It never reads past `length` and never allocates.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

// ExtensionHeader: an IPv6 extension header the relay does not walk (Routing, AH, ESP, Mobility,
// HIP, Shim6, experimental ones), a Hop-by-Hop header that is not the first, or more option
// headers than kMaxIpv6OptionHeaders.
enum class FrameKind : uint8_t { Udp = 0, Fragment = 1, NotIp = 2, NotUdp = 3, Malformed = 4, ExtensionHeader = 5 };

// Hop-by-Hop plus Destination Options headers walked before the upper-layer header (a packet has
// at most one Hop-by-Hop and two Destination Options headers, RFC 8200 4.1).
constexpr int kMaxIpv6OptionHeaders = 3;

struct ParsedFrame {
  FrameKind kind = FrameKind::Malformed;
  const char* reason = "";   // static string, only for Malformed
  bool ipv6 = false;         // the L3 header is IPv6 (source6/group6 hold the addresses)
  uint8_t nextHeader = 0;    // ExtensionHeader: the header's type
  int32_t vlan = -1;         // 802.1Q VLAN id as the tag holds it (0: a priority tag), -1 without a tag
  uint32_t l3Offset = 0;     // start of the IPv4/IPv6 header
  uint32_t source = 0;       // IPv4, network byte order
  uint32_t group = 0;        // IPv4, network byte order (destination address)
  uint8_t source6[16] = {};  // IPv6, network byte order
  uint8_t group6[16] = {};   // IPv6 destination, network byte order
  uint16_t sourcePort = 0;   // host byte order
  uint16_t port = 0;         // host byte order
  uint8_t ttl = 0;           // IPv4 TTL or IPv6 hop limit
  uint8_t tos = 0;           // IPv4 TOS or IPv6 traffic class
  uint16_t ipId = 0;         // IPv4, network byte order, copied to the rewritten header
  bool dontFragment = false; // IPv4 DF is carried over to the rewritten header
  uint16_t udpChecksum = 0;  // host byte order, as the frame carries it (0: none, IPv4 only)
  uint32_t payloadOffset = 0;
  uint32_t payloadLength = 0;
};

// checksumPartial: the frame came with TP_STATUS_CSUMNOTREADY, so its UDP checksum field holds
// only the pseudo-header seed and an IPv6 checksum of 0 there is not "none".
void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out, bool checksumPartial = false) noexcept;

}  // namespace mcr
