// The link-layer address a multicast IP destination maps to on Ethernet: 01:00:5e + the group's low
// 23 bits (RFC 1112 §6.4), or 33:33 + its low 32 bits (RFC 2464 §7). Inline: the egress hot path
// writes it per frame when it maps a range of groups.
#pragma once

#include <cstdint>
#include <cstring>

namespace mcr {

// `destination`: 4 bytes (IPv4) or 16 (IPv6) in network order; `mac`: 6 bytes written.
inline void MulticastMac(bool ipv6, const uint8_t* destination, uint8_t* mac) {
  if (ipv6) {
    mac[0] = 0x33;
    mac[1] = 0x33;
    std::memcpy(mac + 2, destination + 12, 4);
    return;
  }
  mac[0] = 0x01;
  mac[1] = 0x00;
  mac[2] = 0x5e;
  mac[3] = destination[1] & 0x7f;
  mac[4] = destination[2];
  mac[5] = destination[3];
}

}  // namespace mcr
