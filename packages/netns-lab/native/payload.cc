#include "payload.hpp"

#include <cstring>

#include "inet_csum.hpp"

namespace mcr {
namespace {

// P^8 mod 2^32: one FNV-1a step on a zero byte is h *= P, so eight zero bytes are h *= P^8.
constexpr uint32_t powPrime(unsigned n) {
  uint32_t r = 1;
  for (unsigned i = 0; i < n; ++i) r *= kFnvPrime;
  return r;
}
constexpr uint32_t kFnvPrime8 = powPrime(8);

inline uint32_t fnvBytes(uint32_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  return h;
}

// splitmix64 finaliser: cheap, and every input bit reaches every output bit.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint32_t fnv1a32(const uint8_t* buf, size_t len) {
  uint32_t h = kFnvOffset;
  size_t i = 0;
  // Header: hash bytes as they are, but the checksum field as zero.
  if (len >= kHeaderSize) {
    h = fnvBytes(h, buf, kOffChecksum);
    h *= kFnvPrime;  // four zero bytes in place of the checksum
    h *= kFnvPrime;
    h *= kFnvPrime;
    h *= kFnvPrime;
    i = kHeaderSize;
  }
  // Body, a word at a time: zero words (most of the sparse fill) cost one multiply.
  for (; i + 8 <= len; i += 8) {
    if (get64(buf + i) == 0) {
      h *= kFnvPrime8;
    } else {
      h = fnvBytes(h, buf + i, 8);
    }
  }
  return fnvBytes(h, buf + i, len - i);
}

void writePayload(uint8_t* buf, size_t len, uint32_t stream, uint64_t seq, uint64_t sendNs) {
  put32(buf + kOffMagic, kMagic);
  put32(buf + kOffStream, stream);
  put64(buf + kOffSeq, seq);
  put64(buf + kOffSendNs, sendNs);
  put32(buf + kOffLength, static_cast<uint32_t>(len));
  put32(buf + kOffChecksum, 0);
  const uint64_t base = mix64((static_cast<uint64_t>(stream) << 40) ^ seq);
  for (size_t off = kHeaderSize, block = 0; off < len; off += kPatternStride, ++block) {
    uint64_t word = mix64(base + block);
    if (word == 0) word = 1;  // keep the pattern visible even in this 2^-64 case
    const size_t n = len - off < 8 ? len - off : 8;
    std::memcpy(buf + off, &word, n);
  }
}

void sealPayload(uint8_t* buf, size_t len) { put32(buf + kOffChecksum, fnv1a32(buf, len)); }

uint64_t payloadCsum(const uint8_t* buf, size_t len) {
  // The same words writePayload writes: kHeaderSize and kPatternStride are even, so each one
  // starts at an even offset, and only the last may be short (and end the payload).
  uint64_t acc = csumAdd(0, buf, kHeaderSize);
  for (size_t off = kHeaderSize; off < len; off += kPatternStride) {
    acc = csumAdd(acc, buf + off, len - off < 8 ? len - off : 8);
  }
  return acc;
}

Verdict checkPayload(const uint8_t* buf, size_t len, Header* out) {
  if (len < kHeaderSize) return Verdict::TooShort;
  if (get32(buf + kOffMagic) != kMagic) return Verdict::BadMagic;
  if (get32(buf + kOffLength) != len) return Verdict::BadLength;
  if (get32(buf + kOffChecksum) != fnv1a32(buf, len)) return Verdict::BadChecksum;
  out->magic = kMagic;
  out->stream = get32(buf + kOffStream);
  out->seq = get64(buf + kOffSeq);
  out->sendNs = get64(buf + kOffSendNs);
  out->length = static_cast<uint32_t>(len);
  out->checksum = get32(buf + kOffChecksum);
  return Verdict::Ok;
}

}  // namespace mcr
