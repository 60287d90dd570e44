#include "stream_stats.hpp"

#include <algorithm>
#include <cmath>

namespace mcr {

unsigned LatencyHistogram::index(uint64_t ns) {
  if (ns < 2 * kSub) return static_cast<unsigned>(ns);
  const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(ns));  // >= kSubBits + 1
  const unsigned shift = msb - kSubBits;
  const unsigned mantissa = static_cast<unsigned>(ns >> shift);  // in [kSub, 2 * kSub)
  return 2 * kSub + (msb - kSubBits - 1) * kSub + (mantissa - kSub);
}

uint64_t LatencyHistogram::upperBound(unsigned idx) {
  if (idx < 2 * kSub) return idx;
  const unsigned octave = (idx - 2 * kSub) / kSub;  // msb - kSubBits - 1
  const unsigned mantissa = (idx - 2 * kSub) % kSub + kSub;
  const unsigned shift = octave + 1;
  return ((static_cast<uint64_t>(mantissa) + 1) << shift) - 1;
}

void LatencyHistogram::record(uint64_t ns) {
  ++buckets_[index(ns)];
  ++count_;
  if (ns > max_) max_ = ns;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (unsigned i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  // Rank of the q-quantile sample, 1-based: the smallest value with at least q of the samples
  // at or below it.
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (unsigned i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upperBound(i), max_);
  }
  return max_;
}

void StreamStats::onValid(uint64_t seq, uint64_t latencyNs) {
  ++counts.received;
  if (seq >= kMaxSeq) {
    ++counts.corrupt;
    return;
  }
  latency.record(latencyNs);
  const size_t word = static_cast<size_t>(seq >> 6);
  if (word >= seen_.size()) {
    // Amortised doubling: a few reallocations per run, none per packet in steady state.
    seen_.resize(std::max(word + 1, seen_.size() * 2 + 1024), 0);
  }
  const uint64_t bit = 1ull << (seq & 63);
  if (seen_[word] & bit) {
    ++counts.duplicates;
    return;
  }
  seen_[word] |= bit;
  ++counts.unique;
  if (any_ && seq < highest_) ++counts.reordered;
  if (!any_ || seq > highest_) highest_ = seq;
  any_ = true;
}

int64_t StreamStats::missing(uint64_t expect) const {
  const uint64_t base = expect > 0 ? expect : (any_ ? highest_ + 1 : 0);
  return static_cast<int64_t>(base) - static_cast<int64_t>(counts.unique);
}

}  // namespace mcr
