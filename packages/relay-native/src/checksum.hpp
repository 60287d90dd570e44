// Internet checksum arithmetic (RFC 1071, RFC 1624) for the hot path: header verification, the
// output UDP checksum updated from the input's, or computed in full over the payload.
// Sums are kept unfolded in uint64_t until the end, so callers add terms freely.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

inline uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Big-endian 16-bit words of `length` bytes (an odd last byte is padded with zero).
inline uint64_t SumBytes(const uint8_t* p, size_t length) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += (static_cast<uint32_t>(p[i]) << 8) | p[i + 1];
  if (i < length) sum += static_cast<uint32_t>(p[i]) << 8;
  return sum;
}

// Sum of the two 16-bit words of an address held in network byte order.
inline uint32_t SumAddress(uint32_t networkOrder) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(&networkOrder);
  return ((static_cast<uint32_t>(b[0]) << 8) | b[1]) + ((static_cast<uint32_t>(b[2]) << 8) | b[3]);
}

// An IPv4 header (with options) verifies when its words, checksum included, sum to 0xffff.
inline bool Ipv4HeaderChecksumOk(const uint8_t* ip, size_t headerLength) {
  return Fold(SumBytes(ip, headerLength)) == 0xffff;
}

// The UDP checksum field from a finished sum: a computed 0 is sent as 0xffff, since 0 on the wire
// means "no checksum" (RFC 768).
inline uint16_t UdpChecksumField(uint64_t sum) {
  const uint16_t checksum = static_cast<uint16_t>(~Fold(sum));
  return checksum == 0 ? 0xffff : checksum;
}

}  // namespace mcr
