// Pure C++ frame parser shared by the hot path, parseFrame() and the bench entry.
// It never reads past `length` and never allocates.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

enum class FrameKind : uint8_t { Udp = 0, Fragment = 1, NotIpv4 = 2, NotUdp = 3, Malformed = 4 };

struct ParsedFrame {
  FrameKind kind = FrameKind::Malformed;
  const char* reason = "";   // static string, only for Malformed
  int32_t vlan = -1;         // 802.1Q VLAN id, -1 when untagged
  uint32_t l3Offset = 0;     // start of the IPv4 header
  uint32_t source = 0;       // network byte order
  uint32_t group = 0;        // network byte order (destination address)
  uint16_t sourcePort = 0;   // host byte order
  uint16_t port = 0;         // host byte order
  uint8_t ttl = 0;
  uint8_t tos = 0;
  uint16_t ipId = 0;         // network byte order, copied to the rewritten header
  bool dontFragment = false; // DF is carried over to the rewritten header
  uint16_t udpChecksum = 0;  // host byte order, as the frame carries it (0: none)
  uint32_t payloadOffset = 0;
  uint32_t payloadLength = 0;
};

void ParseFrame(const uint8_t* data, size_t length, ParsedFrame& out) noexcept;

}  // namespace mcr
