// One address type for both families, for matching and offset mapping: 128 bits in host order.
// An IPv4 address sits in the low 32 bits (hi = 0), and an IPv4 prefix of length p is the 128-bit
// prefix of length 96 + p, so a range test is the same two masks and compares for either family.
// Byte forms (network order, 4 or 16 bytes) stay in the frames and header templates.
#pragma once

#include <cstdint>
#include <cstring>

namespace mcr {

struct Address128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool operator==(const Address128& o) const { return hi == o.hi && lo == o.lo; }
  bool operator!=(const Address128& o) const { return !(*this == o); }
  // Numeric order (hi first), for sorted arrays and binary searches.
  bool operator<(const Address128& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  Address128 operator&(const Address128& o) const { return {hi & o.hi, lo & o.lo}; }
  Address128 operator|(const Address128& o) const { return {hi | o.hi, lo | o.lo}; }
  Address128 operator~() const { return {~hi, ~lo}; }
};

inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

inline void StoreBe64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

// 16 bytes in network order.
inline Address128 Load6(const uint8_t* bytes) { return {LoadBe64(bytes), LoadBe64(bytes + 8)}; }
inline void Store6(const Address128& a, uint8_t* bytes) {
  StoreBe64(a.hi, bytes);
  StoreBe64(a.lo, bytes + 8);
}

// An IPv4 address held in network byte order (as the parser stores it).
inline Address128 Load4(uint32_t networkOrder) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(&networkOrder);
  return {0, (static_cast<uint64_t>(b[0]) << 24) | (static_cast<uint64_t>(b[1]) << 16) |
                 (static_cast<uint64_t>(b[2]) << 8) | b[3]};
}
inline uint32_t Store4(const Address128& a) {
  const uint8_t b[4] = {static_cast<uint8_t>(a.lo >> 24), static_cast<uint8_t>(a.lo >> 16),
                        static_cast<uint8_t>(a.lo >> 8), static_cast<uint8_t>(a.lo)};
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

// The first `length` bits set (0..128).
inline Address128 PrefixMask(unsigned length) {
  Address128 m;
  if (length >= 64) {
    m.hi = ~0ull;
    // A shift by 64 is undefined: /64 sets no bit of lo.
    m.lo = length >= 128 ? ~0ull : length == 64 ? 0 : ~0ull << (128 - length);
  } else {
    m.hi = length == 0 ? 0 : ~0ull << (64 - length);
  }
  return m;
}

}  // namespace mcr
