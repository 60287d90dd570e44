// TcEngine: the tc BPF program (bpf/relay_tc.bpf.c) on one input interface's ingress, its table
// generations and its counters. No thread of ours: the program runs in the kernel's softirq; this
// class loads it, attaches it (a tcx link, which the kernel detaches when its descriptor closes,
// so a killed relay leaves nothing; or, where tcx is missing, a clsact cls_bpf filter, which
// outlives the process), swaps tables and reads counters, all on the JS thread.
#pragma once

#include <napi.h>

#include <map>
#include <string>
#include <vector>

#include "util/cleanup_hook.hpp"

struct relay_tc;

namespace mcr {

class TcEngine : public Napi::ObjectWrap<TcEngine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // What the kernel offers the engine: {tcx, clsBpf, jit, helpers, missing: string[]}.
  static Napi::Value Probe(const Napi::CallbackInfo& info);
  // Programs on an interface's tcx ingress (ours or anyone's), or null where the kernel has no tcx.
  static Napi::Value TcxPrograms(const Napi::CallbackInfo& info);

  // (interfaceName, ifindex, injectedCostLoops, noTcx)
  explicit TcEngine(const Napi::CallbackInfo& info);
  ~TcEngine() override;

 private:
  Napi::Value Attach(const Napi::CallbackInfo& info);
  void SetRules(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value TestEmit(const Napi::CallbackInfo& info);
  Napi::Value TestIngress(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void CloseAll() noexcept;  // idempotent
  void ResetSlot(Napi::Env env, uint32_t slot);

  struct RuleInfo {
    std::string id;
    uint32_t slot = 0;
    size_t outputs = 0;
  };

  std::string interfaceName_;
  int ifindex_ = 0;
  relay_tc* skel_ = nullptr;
  int linkFd_ = -1;        // tcx link
  bool clsBpf_ = false;    // attached as a clsact cls_bpf filter instead
  bool noTcx_ = false;     // TEST-ONLY: act as a kernel without tcx links (the cls_bpf path)
  std::map<std::string, uint32_t> slots_;  // rule id -> counter slot, kept across tables
  std::vector<RuleInfo> rules_;            // the current table, in configured order
  int tableFd_ = -1;                       // the current generation's inner map
  CleanupHook cleanup_{[](void* self) { static_cast<TcEngine*>(self)->CloseAll(); }, this};
};

}  // namespace mcr
