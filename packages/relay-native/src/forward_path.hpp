// The per-frame hot path shared by DataPlaneWorker's loop and benchHotPath: parse, count,
// match, queue one rewritten message per output. No allocation, no lock.
#pragma once

#include "counters.hpp"
#include "egress.hpp"
#include "frame_parser.hpp"
#include "rule_table.hpp"

namespace mcr {

// Local tallies, folded into the shared atomics once per batch.
struct BatchTally {
  uint64_t framesSeen = 0, matched = 0, noMatch = 0, malformed = 0, fragments = 0;

  void FoldInto(WorkerCounterBlock& c) const {
    if (framesSeen) Bump(c.framesSeen, framesSeen);
    if (matched) Bump(c.matched, matched);
    if (noMatch) Bump(c.noMatch, noMatch);
    if (malformed) Bump(c.malformed, malformed);
    if (fragments) Bump(c.fragments, fragments);
  }
};

// Returns false when the frame needs more egress slots than are free: the caller flushes and
// calls again (nothing was counted in that case).
inline bool HandleFrame(const RuleTable* table, const uint8_t* data, size_t length, ParsedFrame& parsed,
                        EgressBatch& egress, size_t egressCapacity, BatchTally& tally) noexcept {
  ParseFrame(data, length, parsed);
  const CompiledRule* rule = nullptr;
  if (parsed.kind == FrameKind::Udp && table != nullptr) {
    rule = table->Lookup(parsed.group, parsed.port, parsed.source);
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
  ++tally.matched;
  if (rule->counters != nullptr) {
    Bump(rule->counters->matched, 1);
    Bump(rule->counters->bytes, parsed.payloadLength);
  }
  // A rule with more outputs than the whole batch holds sends only what fits (counted as txErrors
  // would hide a configuration limit; the TS layer bounds outputs per rule instead).
  for (const CompiledOutput& output : rule->outputs) {
    if (egress.Full()) break;
    egress.Queue(output, parsed, data);
  }
  return true;
}

}  // namespace mcr
