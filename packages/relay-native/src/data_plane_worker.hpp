// DataPlaneWorker: one ingress ring, one forwarding std::thread, egress sockets, counters.
// The JS thread owns configuration (rules, sockets, tables); the worker thread only reads the
// published table and writes counters. The thread never touches Napi.
#pragma once

#include <napi.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "counters.hpp"
#include "packet_ring.hpp"
#include "rule_table.hpp"
#include "tx_sockets.hpp"
#include "util/cleanup_hook.hpp"
#include "util/loop_thread.hpp"

namespace mcr {

class DataPlaneWorker : public Napi::ObjectWrap<DataPlaneWorker> {
 public:
  static Napi::Function Define(Napi::Env env);

  // (interfaceName, ifindex, fanoutMode -1|0|1|2, fanoutId -1|0..65535, receiveBufferBytes, batchSize,
  //  coalesceMicros, allMulticast, injectedWorkNanos, latencyBudgetMicros, fanoutIgnoreOutgoingUnsupported)
  explicit DataPlaneWorker(const Napi::CallbackInfo& info);
  ~DataPlaneWorker() override;

 private:
  Napi::Value FanoutId(const Napi::CallbackInfo& info);
  Napi::Value IgnoreOutgoing(const Napi::CallbackInfo& info);
  void SetRules(const Napi::CallbackInfo& info);
  void Start(const Napi::CallbackInfo& info);
  void Stop(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void CheckHealth(const Napi::CallbackInfo& info);

  void Run() noexcept;            // the worker thread's loop
  void LoopFailed(int err, const char* syscall) noexcept;  // worker thread: record why it ended
  void StopAndClose() noexcept;   // idempotent; joins the thread, closes every socket
  void FreeRetiredTables();       // JS thread
  void PruneCounterBlocks();      // JS thread, after FreeRetiredTables
  void AccumulateKernelStatistics();

  std::string interfaceName_;
  size_t batchSize_ = 64;
  int64_t coalesceNs_ = 0;       // fixed pause after a partial batch (pacing.hpp)
  int64_t latencyBudgetNs_ = 0;  // adaptive pacing's bound on the wait it adds (pacing.hpp)
  int64_t injectedWorkNs_ = 0;  // TEST-ONLY busy work per frame read (0: none)
  PacketRing ring_;
  LoopThread loop_;
  bool started_ = false;
  bool closed_ = false;

  // Table publication: the loop loads `table_` once per batch and records the generation it
  // uses in `seenGeneration_`; tables older than that are no longer referenced by the loop.
  std::atomic<RuleTable*> table_{nullptr};
  std::atomic<uint64_t> seenGeneration_{0};

  // Set by the loop when it ends on its own (not through stop()): errno and the call that failed.
  // Written once by the worker thread, read by the JS thread in CheckHealth().
  std::atomic<int> loopErrno_{0};
  std::atomic<const char*> loopSyscall_{nullptr};
  uint64_t nextGeneration_ = 1;
  std::vector<std::unique_ptr<RuleTable>> tables_;  // JS thread only; back() is current

  WorkerCounterBlock counters_;
  std::map<std::string, std::unique_ptr<RuleCounterBlock>> ruleCounters_;
  std::map<std::string, std::unique_ptr<OutputCounterBlock>> outputCounters_;  // "id\n<index>"
  TxSockets txSockets_;
  uint64_t kernelPackets_ = 0;
  uint64_t kernelDrops_ = 0;

  // Backstop for an environment torn down before stop(): the thread must not outlive it. Declared
  // last: removed before anything else goes.
  CleanupHook cleanup_{[](void* self) { static_cast<DataPlaneWorker*>(self)->StopAndClose(); }, this};
};

}  // namespace mcr
