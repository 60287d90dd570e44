// A native loop's own thread and the way to stop it: a flag the loop checks between rounds, and an
// eventfd it polls beside its socket, so that a stop request wakes a loop blocked in poll at once.
// Stop() joins; the eventfd stays readable from then on, so any later poll on it returns at once.
// The thread never touches Napi; the JS thread opens, starts and stops it.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>
#include <utility>

#include "util/errors.hpp"

namespace mcr {

class LoopThread {
 public:
  LoopThread() = default;
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;
  ~LoopThread() { Close(); }

  // The eventfd; false with `error` set when the kernel gives none.
  bool Open(SysError& error) noexcept {
    eventFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (eventFd_ >= 0) return true;
    error.err = errno;
    error.syscall = "eventfd";
    return false;
  }

  // Runs `loop` on the thread; throws std::system_error when no thread can be made.
  template <typename Loop>
  void Start(Loop&& loop) {
    thread_ = std::thread(std::forward<Loop>(loop));
  }

  bool stopRequested() const noexcept { return stop_.load(std::memory_order_acquire); }
  int eventFd() const noexcept { return eventFd_; }

  // Idempotent: asks the loop to stop and joins it.
  void Stop() noexcept {
    if (!thread_.joinable()) return;
    stop_.store(true, std::memory_order_release);
    const uint64_t one = 1;
    ssize_t written = write(eventFd_, &one, sizeof one);
    (void)written;
    thread_.join();
  }

  // Stops the loop, then closes the eventfd.
  void Close() noexcept {
    Stop();
    if (eventFd_ >= 0) close(eventFd_);
    eventFd_ = -1;
  }

 private:
  int eventFd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace mcr
