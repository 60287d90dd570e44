// The per-frame hot path shared by DataPlaneWorker's loop and benchHotPath: parse, loop guard,
// match (exact, then ranges), IPv4 header checksum, rate limit, then per output: presence, listener
// gates, TTL / hop limit, and one rewritten message, for IPv4 and IPv6 alike. No allocation, no lock.
#pragma once

#include <cstdint>

#include "checksum.hpp"
#include "counters.hpp"
#include "egress.hpp"
#include "frame_parser.hpp"
#include "rule_table.hpp"

namespace mcr {

// What the ring says about a frame besides its bytes (tpacket2_hdr), and the batch's clock.
struct FrameMeta {
  int32_t vlan = -1;             // VLAN id of the tag the kernel moved into metadata (TP_STATUS_VLAN_VALID), else -1
  bool checksumPartial = false;  // TP_STATUS_CSUMNOTREADY: the UDP checksum field is not filled in
  int64_t nowNs = 0;             // CLOCK_MONOTONIC, read once per batch (token buckets)
};

// The VLAN a frame belongs to, for matching (-1: none): the tag in the ring's metadata, else the one in
// its bytes. VLAN id 0 is a priority tag (802.1p), no VLAN, as the kernel's stack takes it: a frame
// with only priority tags is untagged, and a priority tag outside an 802.1Q tag leaves the inner VLAN.
inline int32_t FrameVlan(int32_t metadataVlan, int32_t frameVlan) noexcept {
  if (metadataVlan > 0) return metadataVlan;
  return frameVlan > 0 ? frameVlan : -1;
}

// Local tallies, folded into the shared atomics once per batch.
struct BatchTally {
  uint64_t framesSeen = 0, matched = 0, noMatch = 0, malformed = 0, fragments = 0;
  uint64_t ownFrames = 0, badChecksum = 0, extensionHeaders = 0, ttlExpired = 0, rateLimited = 0, outputAbsent = 0;
  uint64_t notListened = 0;

  void FoldInto(WorkerCounterBlock& c) const {
    if (framesSeen) Bump(c.framesSeen, framesSeen);
    if (matched) Bump(c.matched, matched);
    if (noMatch) Bump(c.noMatch, noMatch);
    if (malformed) Bump(c.malformed, malformed);
    if (fragments) Bump(c.fragments, fragments);
    if (ownFrames) Bump(c.ownFrames, ownFrames);
    if (badChecksum) Bump(c.badChecksum, badChecksum);
    if (extensionHeaders) Bump(c.extensionHeaders, extensionHeaders);
    if (ttlExpired) Bump(c.ttlExpired, ttlExpired);
    if (rateLimited) Bump(c.rateLimited, rateLimited);
    if (outputAbsent) Bump(c.outputAbsent, outputAbsent);
    if (notListened) Bump(c.notListened, notListened);
  }
};

// Takes one frame from the rule's bucket if it holds one. Credit refills at maxPps frames per
// second up to the burst; a bucket never used starts full.
inline bool TakeToken(const CompiledRule& rule, RateBucket& bucket, int64_t nowNs) noexcept {
  if (bucket.updatedNs < 0 || nowNs - bucket.updatedNs >= 1000000000) {
    // A second or more since the last refill fills any bucket (burst is 100 ms): no overflow.
    bucket.credit = rule.burstCredit;
  } else if (nowNs > bucket.updatedNs) {
    const uint64_t refill = static_cast<uint64_t>(nowNs - bucket.updatedNs) * rule.maxPps;
    bucket.credit = bucket.credit + refill > rule.burstCredit ? rule.burstCredit : bucket.credit + refill;
  }
  // A table swap may lower the burst under what the bucket holds.
  if (bucket.credit > rule.burstCredit) bucket.credit = rule.burstCredit;
  bucket.updatedNs = nowNs;
  if (bucket.credit < kCreditPerFrame) return false;
  bucket.credit -= kCreditPerFrame;
  return true;
}

// The frame's share of every output's UDP checksum (an output adds its udpTerms), or
// kNoUdpChecksum when the input carried none (then the outputs carry none either).
constexpr uint64_t kNoUdpChecksum = UINT64_MAX;

// The ones' complement of each big-endian 16-bit word of `length` (even) bytes, summed.
inline uint64_t SumNotWords(const uint8_t* p, size_t length) noexcept {
  uint64_t sum = 0;
  for (size_t i = 0; i < length; i += 2) sum += static_cast<uint16_t>(~((static_cast<uint32_t>(p[i]) << 8) | p[i + 1]));
  return sum;
}

// The 16-bit words of an Address128 summed (IPv4: the low two words; the rest are 0).
inline uint64_t SumWords(const Address128& a) noexcept {
  uint64_t sum = 0;
  for (int shift = 0; shift < 64; shift += 16) sum += ((a.hi >> shift) & 0xffff) + ((a.lo >> shift) & 0xffff);
  return sum;
}

inline uint64_t UdpChecksumBase(const uint8_t* data, const ParsedFrame& parsed, bool checksumPartial) noexcept {
  const uint32_t udpLength = 8 + parsed.payloadLength;
  if (checksumPartial) {
    // The field holds only the kernel's pseudo-header seed: compute the whole sum (pseudo-header
    // length and protocol, UDP source port and length, payload); the output adds its addresses and
    // destination port. The IPv6 pseudo-header's 32-bit length sums the same for UDP's 16 bits.
    return SumBytes(data + parsed.payloadOffset, parsed.payloadLength) + 17u + udpLength + udpLength +
           parsed.sourcePort;
  }
  if (parsed.udpChecksum == 0) return kNoUdpChecksum;  // IPv4 only: the parser refuses it for IPv6
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The words that change are the addresses and the
  // destination port; ~m of each is added here, m' by the output.
  const uint64_t addresses =
      parsed.ipv6 ? SumNotWords(parsed.source6, 16) + SumNotWords(parsed.group6, 16)
                  : SumNotWords(reinterpret_cast<const uint8_t*>(&parsed.source), 4) +
                        SumNotWords(reinterpret_cast<const uint8_t*>(&parsed.group), 4);
  return static_cast<uint16_t>(~parsed.udpChecksum) + addresses + static_cast<uint16_t>(~parsed.port);
}

// The input destination's host bits that an offset-mapping output or's into its group.
inline Address128 MappedHostBits(const CompiledOutput& output, const ParsedFrame& parsed) noexcept {
  return (parsed.ipv6 ? Load6(parsed.group6) : Load4(parsed.group)) & output.hostMask;
}

// Returns false when the frame needs more egress slots than are free: the caller flushes and
// calls again (nothing was counted and no state changed in that case).
inline bool HandleFrame(const RuleTable* table, const uint8_t* data, size_t length, const FrameMeta& meta,
                        ParsedFrame& parsed, EgressBatch& egress, size_t egressCapacity,
                        BatchTally& tally) noexcept {
  // Loop guard first: a frame this host sent (on any of its interfaces) that came back is never
  // relayed, whatever it holds.
  if (table != nullptr && length >= 12 && table->checksOwnMacs() && table->IsOwnMac(data + 6)) {
    ++tally.framesSeen;
    ++tally.ownFrames;
    return true;
  }
  ParseFrame(data, length, parsed, meta.checksumPartial);
  const CompiledRule* rule = nullptr;
  if (parsed.kind == FrameKind::Udp && table != nullptr) {
    // A tag in the metadata is the frame's (the kernel removed it from the bytes).
    rule = table->Lookup(parsed, FrameVlan(meta.vlan, parsed.vlan));
    if (rule != nullptr && egress.Count() + rule->outputs.size() > egressCapacity && egress.Count() != 0) {
      return false;
    }
  }
  ++tally.framesSeen;
  switch (parsed.kind) {
    case FrameKind::Malformed: ++tally.malformed; return true;
    case FrameKind::Fragment: ++tally.fragments; return true;
    case FrameKind::ExtensionHeader: ++tally.extensionHeaders; return true;
    case FrameKind::NotIp:
    case FrameKind::NotUdp: ++tally.noMatch; return true;
    case FrameKind::Udp: break;
  }
  if (rule == nullptr) {
    ++tally.noMatch;
    return true;
  }
  // Verified only for frames that would be relayed: the rest is never looked at again. (IPv6 has
  // no header checksum.)
  const uint8_t* ip = data + parsed.l3Offset;
  if (!parsed.ipv6 && !Ipv4HeaderChecksumOk(ip, parsed.payloadOffset - 8 - parsed.l3Offset)) {
    ++tally.badChecksum;
    return true;
  }
  ++tally.matched;
  RuleCounterBlock* counters = rule->counters;
  if (counters != nullptr) {
    Bump(counters->matched, 1);
    Bump(counters->bytes, parsed.payloadLength);
    if (rule->maxPps != 0 && !TakeToken(*rule, counters->bucket, meta.nowNs)) {
      ++tally.rateLimited;
      Bump(counters->rateLimited, 1);
      return true;
    }
  }
  const bool inputExpired = parsed.ttl <= 1;
  const uint8_t decremented = inputExpired ? 0 : static_cast<uint8_t>(parsed.ttl - 1);
  bool expired = false;
  bool checksumReady = false;
  uint64_t checksumBase = 0;
  RewriteValues values;
  Address128 source;  // the frame's IP source, read for the first gated output
  bool sourceReady = false;
  // A rule with more outputs than the whole batch holds sends only what fits (the TS layer bounds
  // outputs per rule so that one rule always fits an empty batch).
  for (const CompiledOutput& output : rule->outputs) {
    if (output.absent()) {
      ++tally.outputAbsent;
      continue;
    }
    // Offset mapping happens on multicast outputs only (validated), as do gates.
    const Address128 mappedHost = output.mapsRange ? MappedHostBits(output, parsed) : Address128();
    if (output.listeners.enabled()) {
      if (!sourceReady) {
        source = parsed.ipv6 ? Load6(parsed.source6) : Load4(parsed.source);
        sourceReady = true;
      }
      // The output's group has no host bits where a mapped destination puts the input's.
      if (!output.listeners.Admits(output.group128() | mappedHost, source)) {
        ++tally.notListened;
        if (output.counters != nullptr) Bump(output.counters->notListened, 1);
        continue;
      }
    }
    if (output.ttlSet) {
      values.ttl = output.ttl;
    } else if (inputExpired) {
      expired = true;
      continue;
    } else {
      values.ttl = output.ttl < decremented ? output.ttl : decremented;
    }
    if (egress.Full()) break;
    if (output.multicast) {
      if (!checksumReady) {
        // Once per frame, and only when a rewritten header is actually sent.
        checksumBase = UdpChecksumBase(data, parsed, meta.checksumPartial);
        checksumReady = true;
      }
      // An offset-mapped destination is the output's group plus host bits disjoint from it: its
      // words sum to the group's (in udpTerms / checksumBase) plus the host bits'.
      values.mappedHost = mappedHost;
      values.mappedSum = output.mapsRange ? SumWords(mappedHost) : 0;
      values.udpChecksum =
          checksumBase == kNoUdpChecksum ? 0 : UdpChecksumField(checksumBase + output.udpTerms + values.mappedSum);
    }
    egress.Queue(output, parsed, data, values);
  }
  if (expired) ++tally.ttlExpired;
  return true;
}

}  // namespace mcr
