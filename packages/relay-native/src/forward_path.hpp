// The per-frame hot path shared by DataPlaneWorker's loop and benchHotPath: parse, loop guard,
// match, header checksum, rate limit, TTL, and one rewritten message per output. No allocation,
// no lock.
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
  int32_t vlan = -1;             // tag the kernel moved into metadata (TP_STATUS_VLAN_VALID), else -1
  bool checksumPartial = false;  // TP_STATUS_CSUMNOTREADY: the UDP checksum field is not filled in
  int64_t nowNs = 0;             // CLOCK_MONOTONIC, read once per batch (token buckets)
};

// Local tallies, folded into the shared atomics once per batch.
struct BatchTally {
  uint64_t framesSeen = 0, matched = 0, noMatch = 0, malformed = 0, fragments = 0;
  uint64_t ownFrames = 0, badChecksum = 0, extensionHeaders = 0, ttlExpired = 0, rateLimited = 0, outputAbsent = 0;

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

inline uint64_t UdpChecksumBase(const uint8_t* data, const ParsedFrame& parsed, bool checksumPartial) noexcept {
  const uint32_t udpLength = 8 + parsed.payloadLength;
  if (checksumPartial) {
    // The field holds only the kernel's pseudo-header seed: compute the whole sum (pseudo-header
    // length and protocol, UDP source port and length, payload); the output adds its addresses and
    // destination port.
    return SumBytes(data + parsed.payloadOffset, parsed.payloadLength) + 17u + udpLength + udpLength +
           parsed.sourcePort;
  }
  if (parsed.udpChecksum == 0) return kNoUdpChecksum;
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The words that change are the addresses and the
  // destination port; ~m of each is added here, m' by the output.
  const uint8_t* s = reinterpret_cast<const uint8_t*>(&parsed.source);
  const uint8_t* g = reinterpret_cast<const uint8_t*>(&parsed.group);
  const auto notWord = [](uint8_t hi, uint8_t lo) -> uint64_t {
    return static_cast<uint16_t>(~((static_cast<uint32_t>(hi) << 8) | lo));
  };
  return static_cast<uint16_t>(~parsed.udpChecksum) + notWord(s[0], s[1]) + notWord(s[2], s[3]) +
         notWord(g[0], g[1]) + notWord(g[2], g[3]) + static_cast<uint16_t>(~parsed.port);
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
  ParseFrame(data, length, parsed);
  const CompiledRule* rule = nullptr;
  if (parsed.kind == FrameKind::Udp && table != nullptr) {
    // A tag in the metadata is the frame's (the kernel removed it from the bytes).
    const int32_t vlan = meta.vlan >= 0 ? meta.vlan : parsed.vlan;
    rule = table->Lookup(parsed.group, parsed.port, parsed.source, vlan);
    if (rule != nullptr && egress.Count() + rule->outputs.size() > egressCapacity && egress.Count() != 0) {
      return false;
    }
  }
  ++tally.framesSeen;
  switch (parsed.kind) {
    case FrameKind::Malformed: ++tally.malformed; return true;
    case FrameKind::Fragment: ++tally.fragments; return true;
    case FrameKind::NotIpv4:
    case FrameKind::NotUdp: ++tally.noMatch; return true;
    case FrameKind::Udp: break;
  }
  if (rule == nullptr) {
    ++tally.noMatch;
    return true;
  }
  // Verified only for frames that would be relayed: the rest is never looked at again.
  const uint8_t* ip = data + parsed.l3Offset;
  if (!Ipv4HeaderChecksumOk(ip, parsed.payloadOffset - 8 - parsed.l3Offset)) {
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
  // A rule with more outputs than the whole batch holds sends only what fits (the TS layer bounds
  // outputs per rule so that one rule always fits an empty batch).
  for (const CompiledOutput& output : rule->outputs) {
    if (output.absent()) {
      ++tally.outputAbsent;
      continue;
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
      values.udpChecksum = checksumBase == kNoUdpChecksum ? 0 : UdpChecksumField(checksumBase + output.udpTerms);
    }
    egress.Queue(output, parsed, data, values);
  }
  if (expired) ++tally.ttlExpired;
  return true;
}

}  // namespace mcr
