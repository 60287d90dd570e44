// The IP layer of IGMP and MLD messages, as ListenerSocket reads and writes them on a cooked
// (SOCK_DGRAM) AF_PACKET socket, whose bytes start at the network header. Pure C++: no sockets.
//
// Read: an IPv4 packet carrying IGMP (protocol 2), or an IPv6 packet carrying an MLD message
// (ICMPv6 type 130, 131, 132 or 143), directly or behind one Hop-by-Hop header. The packet is taken
// apart as far as the IP layer promises: version, header lengths, IPv4 header checksum, options,
// no fragment, a total (payload) length within the bytes read. Bytes past that length (an Ethernet
// frame padded to its 60-byte minimum) are not part of the message. The message's own checksum
// (IGMP, or ICMPv6 over its pseudo-header) is left to the protocol code that parses it.
//
// Write: the header a router puts in front of its queries (RFC 3376 §4, RFC 2236 §2: TTL 1, Router
// Alert; RFC 3810 §5, RFC 2710 §3: hop limit 1, a Hop-by-Hop header with Router Alert value 0 (MLD)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mcr {

// Every IGMP and MLD message has at least the 8 bytes of its fixed header (type, code, checksum and
// 4 more); NATIVE_LIMITS.minListenerPayloadBytes states the same for the messages sent.
constexpr size_t kMinListenerMessageBytes = 8;

// ICMPv6 types of MLD: query, v1 report, v1 done, v2 report.
constexpr uint8_t kMldTypes[] = {130, 131, 132, 143};

struct ListenerPacketView {
  const uint8_t* source = nullptr;       // 4 or 16 bytes, inside the packet
  const uint8_t* destination = nullptr;  // 4 or 16 bytes, inside the packet
  const uint8_t* payload = nullptr;      // the IGMP message, or the ICMPv6 message
  size_t payloadLength = 0;
  uint8_t hopLimit = 0;                  // IPv4 TTL, IPv6 hop limit
  bool routerAlert = false;              // IPv4 option 148, or an IPv6 Hop-by-Hop option 5 (any value)
};

// nullptr when `packet` is a well-formed IGMP (ipv6 false) or MLD (ipv6 true) packet, `out` then
// pointing into it; else why not, as a static string.
const char* ReadListenerPacket(const uint8_t* packet, size_t length, bool ipv6, ListenerPacketView& out);

// The header a ListenerSocket puts in front of `payloadLength` bytes: 24 bytes for IPv4 (TOS 0xc0,
// DF, TTL 1, protocol 2, `id`, Router Alert, the header checksum), 48 for IPv6 (hop limit 1, next
// header 0, then a Hop-by-Hop header: next header 58, Router Alert value 0, PadN).
std::vector<uint8_t> BuildListenerHeader(bool ipv6, const uint8_t* source, const uint8_t* destination,
                                         size_t payloadLength, uint16_t id);

}  // namespace mcr
