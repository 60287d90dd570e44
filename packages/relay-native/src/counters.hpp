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
};

struct RuleCounterBlock {
  std::atomic<uint64_t> matched{0};
  std::atomic<uint64_t> bytes{0};
};

struct WorkerCounterBlock {
  std::atomic<uint64_t> framesSeen{0};
  std::atomic<uint64_t> matched{0};
  std::atomic<uint64_t> noMatch{0};
  std::atomic<uint64_t> malformed{0};
  std::atomic<uint64_t> fragments{0};
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> txErrors{0};
};

}  // namespace mcr
