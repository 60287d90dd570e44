// The IP and UDP layers of the datagrams a DatagramSocket reads and writes on a cooked (SOCK_DGRAM)
// AF_PACKET socket, whose bytes start at the network header. Pure C++: no sockets.
//
// Read: an IPv4 packet (options allowed, no fragment, header checksum right) or an IPv6 packet
// whose next header is UDP (no extension headers: discovery protocols send none), carrying a UDP
// datagram whose length fits the IP length. The UDP checksum is not verified: on veth the kernel
// hands over CHECKSUM_PARTIAL frames whose field is not filled in.
//
// Write: an IPv4 header (20 bytes, DF clear, the given TTL and identification, header checksum) or an
// IPv6 header (40 bytes, the given hop limit), then the UDP header with its checksum computed over
// the pseudo-header and the payload (mandatory for IPv6, RFC 8200 §8.1; sent for IPv4 too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mcr {

struct DatagramView {
  const uint8_t* source = nullptr;       // 4 or 16 bytes, inside the packet
  const uint8_t* destination = nullptr;  // 4 or 16 bytes, inside the packet
  uint16_t sourcePort = 0;
  uint16_t destinationPort = 0;
  const uint8_t* payload = nullptr;      // the UDP payload
  size_t payloadLength = 0;
  uint8_t hopLimit = 0;                  // IPv4 TTL, IPv6 hop limit
};

// nullptr when `packet` is a well-formed UDP packet of the family, `out` then pointing into it; else
// why not, as a static string.
const char* ReadDatagram(const uint8_t* packet, size_t length, bool ipv6, DatagramView& out);

// The IP + UDP headers (28 bytes for IPv4, 48 for IPv6) in front of `payload`, checksums filled in.
std::vector<uint8_t> BuildDatagramHeader(bool ipv6, const uint8_t* source, uint16_t sourcePort, const uint8_t* destination,
                                         uint16_t destinationPort, uint8_t hopLimit, const uint8_t* payload,
                                         size_t payloadLength, uint16_t id);

}  // namespace mcr
