// Payload layout shared by mcr-send and mcr-recv (docs/architecture.md, "netns-lab traffic tools").
//
// Little endian, 32-byte header at the start of every UDP payload:
//   off  0  magic    u32  0x4d43524c ('MCRL')
//   off  4  stream   u32  0-based order of --stream on the sender
//   off  8  seq      u64
//   off 16  sendNs   u64  CLOCK_MONOTONIC at send (shared by all namespaces of one machine)
//   off 24  length   u32  payload length in bytes
//   off 28  checksum u32  FNV-1a over the whole payload with this field as 0
//
// Fill after the header: a pattern derived from (stream, seq). It is sparse on purpose: one
// 8-byte word of mix(stream, seq, block) at the start of every kPatternStride-byte block, zeros
// elsewhere. FNV-1a is byte-serial (~4 cycles a byte), so a dense 1000-byte fill would cost
// ~1.3 us per packet on each side and cap the sender far below 1 Mpps. fnv1a32() skips zero
// words with one multiply by P^8, so the checksum still covers every byte (any single flipped
// byte changes it: each FNV step is a bijection of the state) at a fraction of the cost.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tool_limits.hpp"

namespace mcr {

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "payload encoding writes host-order integers: little-endian hosts only"
#endif

constexpr uint32_t kMagic = 0x4d43524cu;
constexpr size_t kHeaderSize = 32;
// The size bounds and default: tool_limits.hpp.
constexpr size_t kMinPayload = kPayload.min;
constexpr size_t kMaxPayload = kPayload.max;
static_assert(kHeaderSize + 8 <= kMinPayload, "a payload holds the header and one pattern word");
constexpr size_t kPatternStride = 256;

constexpr size_t kOffMagic = 0;
constexpr size_t kOffStream = 4;
constexpr size_t kOffSeq = 8;
constexpr size_t kOffSendNs = 16;
constexpr size_t kOffLength = 24;
constexpr size_t kOffChecksum = 28;

constexpr uint32_t kFnvOffset = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;

struct Header {
  uint32_t magic;
  uint32_t stream;
  uint64_t seq;
  uint64_t sendNs;
  uint32_t length;
  uint32_t checksum;
};

// FNV-1a 32 over buf[0..len), reading the checksum field (if within range) as zero.
uint32_t fnv1a32(const uint8_t* buf, size_t len);

// Writes header (checksum 0) and fill for (stream, seq) into buf[0..len). The caller has zeroed
// buf once; only the pattern words are rewritten, so repeated calls on one buffer stay cheap.
void writePayload(uint8_t* buf, size_t len, uint32_t stream, uint64_t seq, uint64_t sendNs);

// Computes and stores the checksum of a payload written by writePayload.
void sealPayload(uint8_t* buf, size_t len);

// The unfolded Internet checksum sum (inet_csum.hpp) of a payload written by writePayload into a
// zeroed buffer and sealed: it reads only the header and the pattern words, since every other
// byte is zero, so a raw sender can fill in the UDP checksum per packet for a few dozen adds.
// Not valid after a byte outside those words changed (--corrupt): sum the whole payload then.
uint64_t payloadCsum(const uint8_t* buf, size_t len);

enum class Verdict { Ok, TooShort, BadMagic, BadLength, BadChecksum };

// Parses and verifies a received payload. On Ok, *out holds the header.
Verdict checkPayload(const uint8_t* buf, size_t len, Header* out);

// Offset of the byte that --corrupt flips: inside the fill, never a header field.
inline size_t corruptOffset(size_t len) { return len - 1; }

}  // namespace mcr
