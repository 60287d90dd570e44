// Per-stream accounting for mcr-recv: a growable bitmap of sequence numbers (exact duplicates,
// missing and reordering, unlike iperf2 which folds duplicates into out-of-order) and a fixed
// log-linear latency histogram (no allocation per packet).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace mcr {

// Log-linear histogram of nanosecond values: exact below 64 ns, then 32 sub-buckets per
// power of two (relative error < 3.2 %). Fixed size, so record() never allocates.
class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr unsigned kSub = 1u << kSubBits;  // 32
  static constexpr unsigned kBuckets = 2 * kSub + (64 - kSubBits - 1) * kSub;

  void record(uint64_t ns);
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // Upper bound of the bucket holding the q-quantile (q in (0,1]), capped at the exact max.
  uint64_t quantile(double q) const;

 private:
  static unsigned index(uint64_t ns);
  static uint64_t upperBound(unsigned idx);
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

struct StreamCounts {
  uint64_t received = 0;    // every datagram read on the stream's socket
  uint64_t unique = 0;      // valid, own stream, first time this seq was seen
  uint64_t duplicates = 0;  // valid, own stream, seq already seen
  uint64_t reordered = 0;   // unique and seq < highest seq seen before it
  uint64_t corrupt = 0;     // short, bad magic, bad length, bad checksum, or truncated
  uint64_t foreign = 0;     // valid header carrying another stream id (cross-talk)

  void add(const StreamCounts& o) {
    received += o.received;
    unique += o.unique;
    duplicates += o.duplicates;
    reordered += o.reordered;
    corrupt += o.corrupt;
    foreign += o.foreign;
  }
};

class StreamStats {
 public:
  // Sequence numbers at or above this are counted corrupt instead of growing the bitmap past
  // 256 MiB (a sender starts at 0; such a seq means a broken generator, not a long run).
  static constexpr uint64_t kMaxSeq = 1ull << 31;

  void onCorrupt() {
    ++counts.received;
    ++counts.corrupt;
  }
  void onForeign() {
    ++counts.received;
    ++counts.foreign;
  }
  void onValid(uint64_t seq, uint64_t latencyNs);

  // `expect` per stream when > 0, else highest seq + 1. May be negative if more unique
  // sequence numbers arrived than expected (the formula of docs/architecture.md, unclamped).
  int64_t missing(uint64_t expect) const;

  StreamCounts counts;
  LatencyHistogram latency;
  // CLOCK_MONOTONIC at the first and the last valid packet of the stream (0: none yet).
  uint64_t firstNs = 0;
  uint64_t lastNs = 0;

 private:
  std::vector<uint64_t> seen_;  // bit per seq
  bool any_ = false;
  uint64_t highest_ = 0;
};

}  // namespace mcr
