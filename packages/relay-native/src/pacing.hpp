// How the forwarding loop waits between drains of the ring: the trade between added latency and
// wake-ups (each costs several us of CPU in a VM, more than the per-frame work at moderate rates).
// Pure arithmetic on timestamps the loop passes in: no syscalls, no allocation.
//
// Modes:
// - fixed window (coalesceMicros > 0): after a partial batch, sleep that long, then drain again;
//   block once a drain finds nothing.
// - adaptive (latencyBudgetNs > 0), like a NIC's adaptive interrupt moderation (ethtool -C's
//   pkt-rate-low/rx-usecs-low and pkt-rate-high/rx-usecs-high): the arrival rate is measured, and
//   after a partial batch the loop
//   * blocks (wakes on the next frame, nothing added) when a wait within the budget is expected to
//     gather fewer than kMinFramesPerWait frames: a timed sleep costs more than that many
//     frame-driven wake-ups (measured on this project's VMs: ~18 us of CPU per nanosleep, whose
//     timer programming traps to the hypervisor, against ~5.5 us per wake-up from poll);
//   * sleeps for the budget at moderate rates that fill it;
//   * at bulk rates (>= kBulkRatePerNs) sleeps max(budget, kBulkWindowNs): there the per-packet
//     cost of wake-ups, not latency, is what a relay runs out of, and the window is today's fixed
//     300 us default.
//   The sleep's own overshoot (timer slack, VM exits) is measured and taken off the request, so
//   the real wait, not the requested one, stays within the window.
// - neither: block after every partial batch (a wake-up per frame when frames are sparse).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcr {

class Pacing {
 public:
  enum class Next { Drain, Sleep, Block };

  // A wait must be expected to gather this many frames to be worth a timer wake-up instead of
  // one wake-up per frame (the cost ratio above).
  static constexpr double kMinFramesPerWait = 4.0;
  // Bulk: 100 kpps and above.
  static constexpr double kBulkRatePerNs = 100'000.0 / 1e9;
  static constexpr int64_t kBulkWindowNs = 300'000;
  // The rate estimate follows the last ~64 ms, sampled in windows of at least 16 ms (an idle gap
  // longer than that replaces it). Shorter horizons (2 ms, then 16 ms) mistook a paced sender's
  // catch-up burst after a stall (up to 20 ms of packets at full speed; on a busy machine every
  // few ms) for a bulk rate: at 50 kpps the loop then slept, its sleeps stretched by the busy
  // scheduler, and its median latency went to 1-2 ms. Over 64 ms a stall and its catch-up cancel.
  static constexpr int64_t kRateWindowNs = 16'000'000;
  static constexpr int64_t kRateTauNs = 64'000'000;
  // A request never goes below this: a shorter one is mostly the timer's own overhead.
  static constexpr int64_t kMinSleepNs = 1'000;

  Pacing(int64_t fixedWindowNs, int64_t latencyBudgetNs)
      : fixedWindowNs_(fixedWindowNs), budgetNs_(fixedWindowNs > 0 ? 0 : latencyBudgetNs) {}

  // After a drain that took `taken` frames (`full`: the batch limit was reached) at `nowNs`.
  // Returns what to do next; for Sleep, `sleepNs` is the request.
  Next AfterDrain(size_t taken, bool full, int64_t nowNs, int64_t& sleepNs) noexcept {
    Observe(taken, nowNs);
    if (full) return Next::Drain;
    if (taken == 0) return Next::Block;  // a wait found nothing: the next frame will wake us
    if (fixedWindowNs_ > 0) {
      sleepNs = fixedWindowNs_;
      return Next::Sleep;
    }
    if (budgetNs_ <= 0) return Next::Block;
    // Frames per ns times the wait's real length: worth a timer wake-up only if it gathers several.
    if (ratePerNs_ * static_cast<double>(budgetNs_) < kMinFramesPerWait) return Next::Block;
    const int64_t window = ratePerNs_ >= kBulkRatePerNs && kBulkWindowNs > budgetNs_ ? kBulkWindowNs : budgetNs_;
    const int64_t request = window - overshootNs_;
    sleepNs = request > kMinSleepNs ? request : kMinSleepNs;
    return Next::Sleep;
  }

  // The loop slept `actualNs` for a request of `requestedNs`.
  void Slept(int64_t requestedNs, int64_t actualNs) noexcept {
    const int64_t over = actualNs > requestedNs ? actualNs - requestedNs : 0;
    // 1/8 weight: a few sleeps settle it, one preempted sleep does not throw it far.
    overshootNs_ += (over - overshootNs_) / 8;
  }

  double ratePerNs() const { return ratePerNs_; }
  int64_t overshootNs() const { return overshootNs_; }

 private:
  void Observe(size_t taken, int64_t nowNs) noexcept {
    if (windowStartNs_ < 0) windowStartNs_ = nowNs;
    windowFrames_ += taken;
    const int64_t elapsed = nowNs - windowStartNs_;
    if (elapsed < kRateWindowNs) return;
    const double sample = static_cast<double>(windowFrames_) / static_cast<double>(elapsed);
    // Weighted by the window's length: after an idle spell the old rate counts for nothing.
    const double weight = elapsed >= kRateTauNs ? 1.0 : static_cast<double>(elapsed) / kRateTauNs;
    ratePerNs_ += (sample - ratePerNs_) * weight;
    windowStartNs_ = nowNs;
    windowFrames_ = 0;
  }

  int64_t fixedWindowNs_;
  int64_t budgetNs_;
  double ratePerNs_ = 0;
  int64_t windowStartNs_ = -1;
  uint64_t windowFrames_ = 0;
  int64_t overshootNs_ = 0;
};

}  // namespace mcr
