// Counter blocks. Written only by the worker thread (relaxed load + store, no locked add: there
// is a single writer), read from the JS thread at any time.
#pragma once

#include <atomic>
#include <cstdint>

namespace mcr {

inline void Bump(std::atomic<uint64_t>& counter, uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

struct OutputCounterBlock {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> txErrors{0};
  std::atomic<uint64_t> notListened{0};  // frames its listener gates held back
};

// The token bucket of a rule's maxPps. Only the forwarding thread touches it (no atomics); it
// lives with the rule's counters so a table swap that keeps the rule id keeps the bucket.
struct RateBucket {
  uint64_t credit = 0;    // frames * 1e9 (one frame costs kCreditPerFrame)
  int64_t updatedNs = -1; // CLOCK_MONOTONIC of the last refill; -1: never used (starts full)
};

struct RuleCounterBlock {
  std::atomic<uint64_t> matched{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> rateLimited{0};
  RateBucket bucket;
};

struct WorkerCounterBlock {
  std::atomic<uint64_t> framesSeen{0};
  std::atomic<uint64_t> matched{0};
  std::atomic<uint64_t> noMatch{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> fragments{0};
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> txErrors{0};
  std::atomic<uint64_t> ownFrames{0};
  std::atomic<uint64_t> badChecksum{0};
  std::atomic<uint64_t> extensionHeaders{0};
  std::atomic<uint64_t> ttlExpired{0};
  std::atomic<uint64_t> rateLimited{0};
  std::atomic<uint64_t> outputAbsent{0};
  std::atomic<uint64_t> notListened{0};
};

}  // namespace mcr
