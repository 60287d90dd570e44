// The IP header of a packet read on a cooked (SOCK_DGRAM) AF_PACKET socket, whose bytes start at the
// network header: what ListenerSocket (IGMP / MLD) and DatagramSocket (UDP) check alike before their
// own protocol. Pure C++: no sockets.
//
// IPv4: version 4, a header of 20 bytes or more within the bytes read, a total length within them and
// not below the header, the header checksum right, no fragment. IPv6: version 6, the 40-byte header,
// a payload length not 0 (a jumbogram, which no Ethernet frame carries) and within the bytes read.
// Bytes past the total (payload) length (an Ethernet frame padded to its 60-byte minimum) are not
// part of the packet.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

constexpr size_t kIpv4HeaderBytes = 20;
constexpr size_t kIpv6HeaderBytes = 40;

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline void PutBe16(uint8_t* p, size_t value) {
  p[0] = static_cast<uint8_t>(value >> 8);
  p[1] = static_cast<uint8_t>(value);
}

struct IpHeaderView {
  const uint8_t* source = nullptr;       // 4 or 16 bytes, inside the packet
  const uint8_t* destination = nullptr;  // 4 or 16 bytes, inside the packet
  uint8_t hopLimit = 0;                  // IPv4 TTL, IPv6 hop limit
  uint8_t protocol = 0;                  // IPv4 protocol, IPv6 (first) next header
  size_t headerLength = 0;               // IPv4: with its options; IPv6: 40 (extension headers are the caller's)
  size_t end = 0;                        // IPv4 total length, IPv6 40 + payload length: where the packet ends
};

// nullptr when `packet` starts with a well-formed header of the family, `out` then pointing into it;
// else why not, as a static string.
const char* ReadIpHeader(const uint8_t* packet, size_t length, bool ipv6, IpHeaderView& out);

}  // namespace mcr
