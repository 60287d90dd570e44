// The Internet checksum (RFC 1071): a one's complement sum of 16-bit big-endian words, kept
// unfolded in 64 bits while parts are added (no carry is lost before 2^48 words), folded once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

// Adds p[0..n) to acc. p must lie at an even offset of the checksummed range; an odd n is allowed
// only for the range's last bytes (the final byte counts as the high half of a zero-padded word).
inline uint64_t csumAdd(uint64_t acc, const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 1 < n; i += 2) acc += (static_cast<uint32_t>(p[i]) << 8) | p[i + 1];
  if (i < n) acc += static_cast<uint32_t>(p[i]) << 8;
  return acc;
}

// The folded 16-bit sum (not complemented).
inline uint16_t csumFold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

}  // namespace mcr
