// Internet checksum arithmetic (RFC 1071, RFC 1624) for the hot path: header verification, the
// output UDP checksum updated from the input's, or computed in full over the payload.
// Sums are kept unfolded in uint64_t until the end, so callers add terms freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mcr {

inline uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The sum of the big-endian 16-bit words of `length` bytes (an odd last byte padded with zero),
// folded to 16 bits. A frame's whole payload goes through here when its UDP checksum must be
// computed, so it reads 32-bit native words: the ones' complement sum does not depend on byte
// order (RFC 1071, 2.B), one swap at the end gives the big-endian result.
inline uint64_t SumBytes(const uint8_t* p, size_t length) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t word;
    std::memcpy(&word, p + i, 4);
    sum += word;
  }
  if (i + 2 <= length) {
    uint16_t word;
    std::memcpy(&word, p + i, 2);
    sum += word;
    i += 2;
  }
  if (i < length) sum += p[i];  // the low byte of a little-endian word
  const uint16_t folded = Fold(sum);
  return static_cast<uint16_t>((folded >> 8) | (folded << 8));
#else
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += (static_cast<uint32_t>(p[i]) << 8) | p[i + 1];
  if (i < length) sum += static_cast<uint32_t>(p[i]) << 8;
  return sum;
#endif
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
