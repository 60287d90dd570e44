// Egress: header rewrite into preallocated per-slot buffers and batched sendmmsg per socket.
// The payload is never copied: each message is iovec[0] = rewritten header, iovec[1] = payload
// still in the receive ring. Everything is allocated in the constructor.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "counters.hpp"
#include "frame_parser.hpp"
#include "rule_table.hpp"

namespace mcr {

// What a rewrite needs beyond the output's template: decided per frame and output by the caller.
struct RewriteValues {
  uint8_t ttl = 1;           // TTL or hop limit
  uint16_t udpChecksum = 0;  // as sent; 0 only when an IPv4 input carried 0
  // Offset mapping (output.mapsRange): the input destination's host bits, and their words' sum.
  Address128 mappedHost;
  uint64_t mappedSum = 0;
};

// Writes the Ethernet/IPv4/UDP (42 bytes) or Ethernet/IPv6/UDP (62 bytes) header of `output` for
// the parsed input packet.
void RewriteHeader(const CompiledOutput& output, const ParsedFrame& parsed, const RewriteValues& values,
                   uint8_t* header) noexcept;

class EgressBatch {
 public:
  explicit EgressBatch(size_t capacity);

  bool Full() const { return count_ == capacity_; }
  size_t Count() const { return count_; }

  // Queues one packet for `output`. The caller flushes before Full() would overflow and before the
  // ring frame holding the payload is released.
  void Queue(const CompiledOutput& output, const ParsedFrame& parsed, const uint8_t* frame,
             const RewriteValues& values) noexcept;

  // Sends everything queued, one sendmmsg run per socket. EAGAIN/ENOBUFS drop what is left for
  // that socket and count txErrors; never fatal.
  void Flush(WorkerCounterBlock& counters) noexcept;

  // Forgets queued messages without sending (bench entry).
  void Discard() noexcept { count_ = 0; }

  // A queued message and its output's counters, for the fuzzer's checks of what would be sent and
  // the test-only reference (reference_outputs.cc), which tells outputs apart by their counters.
  const msghdr& Message(size_t slot) const { return messages_[slot].msg_hdr; }
  const OutputCounterBlock* SlotCounters(size_t slot) const { return outputCounters_[slot]; }

 private:
  struct alignas(64) HeaderSlot {
    uint8_t bytes[64];
  };
  // Unicast outputs carry their per-packet TTL as an IP_TTL (IPV6_HOPLIMIT) control message.
  struct alignas(alignof(cmsghdr)) ControlSlot {
    uint8_t bytes[CMSG_SPACE(sizeof(int))];
  };
  void SendRun(int fd, size_t n, WorkerCounterBlock& counters) noexcept;

  size_t capacity_;
  size_t count_ = 0;
  std::vector<HeaderSlot> headers_;
  std::vector<iovec> iov_;  // two per slot
  std::vector<ControlSlot> controls_;
  std::vector<mmsghdr> messages_;
  std::vector<int> fds_;
  std::vector<OutputCounterBlock*> outputCounters_;
  std::vector<uint8_t> done_;
  std::vector<mmsghdr> run_;         // messages of one socket, contiguous for sendmmsg
  std::vector<uint32_t> runSlots_;   // their slot numbers
};

}  // namespace mcr
