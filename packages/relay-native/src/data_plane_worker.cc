#include "data_plane_worker.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <set>

#include "egress.hpp"
#include "forward_path.hpp"
#include "ingress_filter.hpp"
#include "pacing.hpp"
#include "rule_spec.hpp"
#include "util/errors.hpp"

namespace mcr {
namespace {

// Upper bound on outputs of one rule (checked in TS) sizes the egress queue: one full batch of
// frames with a few outputs each fits before a mid-batch flush.
size_t EgressCapacity(size_t batchSize) { return batchSize * 4 > 256 ? batchSize * 4 : 256; }

// Wake up now and then even when idle, so retired tables can be freed.
constexpr int kIdlePollMs = 200;

int64_t MonotonicNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// The TEST-ONLY fault switch (injectedWorkNanos): burn about `ns` of CPU, as a slower hot path would.
void SpinFor(int64_t ns) {
  const int64_t until = MonotonicNs() + ns;
  while (MonotonicNs() < until) {
  }
}

}  // namespace

Napi::Function DataPlaneWorker::Define(Napi::Env env) {
  return DefineClass(env, "DataPlaneWorker",
                     {
                         InstanceMethod<&DataPlaneWorker::FanoutId>("fanoutId"),
                         InstanceMethod<&DataPlaneWorker::IgnoreOutgoing>("ignoreOutgoing"),
                         InstanceMethod<&DataPlaneWorker::SetRules>("setRules"),
                         InstanceMethod<&DataPlaneWorker::Start>("start"),
                         InstanceMethod<&DataPlaneWorker::Stop>("stop"),
                         InstanceMethod<&DataPlaneWorker::Counters>("counters"),
                         InstanceMethod<&DataPlaneWorker::CheckHealth>("checkHealth"),
                     });
}

DataPlaneWorker::DataPlaneWorker(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataPlaneWorker>(info) {
  Napi::Env env = info.Env();
  PacketRingOptions options;
  options.interfaceName = info[0].As<Napi::String>().Utf8Value();
  options.ifindex = info[1].As<Napi::Number>().Int32Value();
  options.fanoutMode = info[2].As<Napi::Number>().Int32Value();
  options.fanoutId = info[3].As<Napi::Number>().Int32Value();
  options.receiveBufferBytes = static_cast<size_t>(info[4].As<Napi::Number>().Int64Value());
  batchSize_ = static_cast<size_t>(info[5].As<Napi::Number>().Int64Value());
  coalesceNs_ = info[6].As<Napi::Number>().Int64Value() * 1000;
  options.allMulticast = info[7].As<Napi::Boolean>().Value();
  injectedWorkNs_ = info[8].As<Napi::Number>().Int64Value();
  latencyBudgetNs_ = info[9].As<Napi::Number>().Int64Value() * 1000;
  options.fanoutIgnoreOutgoing = !info[10].As<Napi::Boolean>().Value();
  interfaceName_ = options.interfaceName;

  SysError error;
  if (!ring_.Open(options, error)) {
    closed_ = true;
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  if (!loop_.Open(error)) {
    ring_.Close();
    closed_ = true;
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  cleanup_.Add(env);
}

DataPlaneWorker::~DataPlaneWorker() { StopAndClose(); }

Napi::Value DataPlaneWorker::FanoutId(const Napi::CallbackInfo& info) {
  if (ring_.fanoutId() < 0) return info.Env().Null();
  return Napi::Number::New(info.Env(), ring_.fanoutId());
}

Napi::Value DataPlaneWorker::IgnoreOutgoing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* mode = "filter";
  switch (ring_.outgoingGuard()) {
    case OutgoingGuard::SocketOption: mode = "socket-option"; break;
    case OutgoingGuard::FanoutFlag: mode = "fanout-flag"; break;
    case OutgoingGuard::Filter: mode = "filter"; break;
  }
  const char* probe = "none";
  switch (ring_.outgoingProbe()) {
    case OutgoingProbe::None: probe = "none"; break;
    case OutgoingProbe::Honoured: probe = "honoured"; break;
    case OutgoingProbe::Ignored: probe = "ignored"; break;
    case OutgoingProbe::Inconclusive: probe = "inconclusive"; break;
    case OutgoingProbe::Refused: probe = "refused"; break;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("mode", mode);
  out.Set("probe", probe);
  return out;
}

void DataPlaneWorker::SetRules(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw MakeNativeError(env, EBADF, "setRules", interfaceName_);
  std::vector<CompiledRule> rules = ReadRuleSpecs(info[0].As<Napi::Array>());
  Napi::Buffer<uint8_t> macBytes = info[1].As<Napi::Buffer<uint8_t>>();
  std::vector<uint64_t> ownMacs;
  for (size_t offset = 0; offset + 6 <= macBytes.Length(); offset += 6) ownMacs.push_back(MacKey(macBytes.Data() + offset));
  auto table = std::make_unique<RuleTable>(std::move(rules), nextGeneration_++, std::move(ownMacs));
  // Counters and sockets are attached after the table owns its rules, so the pointers stored in
  // each output (sockaddr, counter block) refer to storage that outlives the table.
  for (CompiledRule& rule : table->mutableRules()) {
    auto& ruleBlock = ruleCounters_[rule.id];
    if (!ruleBlock) ruleBlock = std::make_unique<RuleCounterBlock>();
    rule.counters = ruleBlock.get();
    for (size_t k = 0; k < rule.outputs.size(); ++k) {
      CompiledOutput& output = rule.outputs[k];
      auto& outputBlock = outputCounters_[rule.id + "\n" + std::to_string(k)];
      if (!outputBlock) outputBlock = std::make_unique<OutputCounterBlock>();
      output.counters = outputBlock.get();
      SysError error;
      if (!txSockets_.Attach(output, error)) {
        throw MakeNativeError(env, error.err, error.syscall, output.interfaceName);
      }
    }
  }
  // The kernel-side filter follows the table; if it cannot be attached the table is not published
  // either, and the previous pair stays in force.
  SysError filterError;
  if (!ring_.AttachFilter(FilterPlanOf(table->rules()), filterError)) {
    throw MakeNativeError(env, filterError.err, filterError.syscall, interfaceName_);
  }
  table_.store(table.get(), std::memory_order_seq_cst);
  tables_.push_back(std::move(table));
  FreeRetiredTables();
}

void DataPlaneWorker::FreeRetiredTables() {
  if (tables_.size() <= 1) return;
  // Without a running thread nothing references old tables; with one, only tables at least as
  // new as the generation it last loaded may still be in use.
  const bool running = started_ && !closed_;
  const uint64_t seen = running ? seenGeneration_.load(std::memory_order_seq_cst) : UINT64_MAX;
  std::vector<std::unique_ptr<RuleTable>> kept;
  for (size_t i = 0; i + 1 < tables_.size(); ++i) {
    if (tables_[i]->generation() >= seen) kept.push_back(std::move(tables_[i]));
  }
  kept.push_back(std::move(tables_.back()));
  const bool freed = kept.size() < tables_.size();
  tables_ = std::move(kept);
  PruneCounterBlocks();
  // Sockets no held table sends on: the loop reads outputs of these tables only.
  if (freed) txSockets_.Prune(tables_);
}

void DataPlaneWorker::PruneCounterBlocks() {
  // A relay whose rules come and go for months (fresh ids from an operator's tooling) must not keep a
  // counter block for every id it ever saw. A block is freed once no table still held here (the
  // current one, and retired ones the loop may still be reading) refers to its rule.
  std::set<std::string> live;
  for (const auto& table : tables_) {
    for (const CompiledRule& rule : table->rules()) live.insert(rule.id);
  }
  if (live.size() == ruleCounters_.size()) return;
  for (auto it = ruleCounters_.begin(); it != ruleCounters_.end();) {
    it = live.count(it->first) ? std::next(it) : ruleCounters_.erase(it);
  }
  for (auto it = outputCounters_.begin(); it != outputCounters_.end();) {
    const std::string id = it->first.substr(0, it->first.find('\n'));
    it = live.count(id) ? std::next(it) : outputCounters_.erase(it);
  }
}

void DataPlaneWorker::Start(const Napi::CallbackInfo& info) {
  if (closed_) throw MakeNativeError(info.Env(), EBADF, "start", interfaceName_);
  if (started_) return;
  started_ = true;
  loop_.Start([this] { Run(); });
}

void DataPlaneWorker::Stop(const Napi::CallbackInfo& info) { StopAndClose(); }

void DataPlaneWorker::StopAndClose() noexcept {
  if (closed_) return;
  closed_ = true;
  // The loop sees the request after at most one batch and one bounded sleep, or wakes on the eventfd.
  loop_.Stop();
  AccumulateKernelStatistics();
  ring_.Close();
  txSockets_.Close();
  loop_.Close();
}

void DataPlaneWorker::AccumulateKernelStatistics() {
  uint64_t packets = 0;
  uint64_t drops = 0;
  if (ring_.ReadStatistics(packets, drops)) {
    kernelPackets_ += packets;
    kernelDrops_ += drops;
  }
}

Napi::Value DataPlaneWorker::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!closed_) AccumulateKernelStatistics();
  FreeRetiredTables();
  auto number = [&](const std::atomic<uint64_t>& v) {
    return Napi::Number::New(env, static_cast<double>(v.load(std::memory_order_relaxed)));
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("framesSeen", number(counters_.framesSeen));
  out.Set("matched", number(counters_.matched));
  out.Set("noMatch", number(counters_.noMatch));
  out.Set("malformed", number(counters_.malformed));
  out.Set("fragments", number(counters_.fragments));
  out.Set("forwarded", number(counters_.forwarded));
  out.Set("txErrors", number(counters_.txErrors));
  out.Set("kernelPackets", Napi::Number::New(env, static_cast<double>(kernelPackets_)));
  out.Set("kernelDrops", Napi::Number::New(env, static_cast<double>(kernelDrops_)));
  out.Set("ownFrames", number(counters_.ownFrames));
  out.Set("badChecksum", number(counters_.badChecksum));
  out.Set("extensionHeaders", number(counters_.extensionHeaders));
  out.Set("ttlExpired", number(counters_.ttlExpired));
  out.Set("rateLimited", number(counters_.rateLimited));
  out.Set("outputAbsent", number(counters_.outputAbsent));
  out.Set("notListened", number(counters_.notListened));
  // Rules of the current table, in their configured order.
  Napi::Array rules = Napi::Array::New(env);
  if (!tables_.empty()) {
    const auto& current = tables_.back()->rules();
    for (uint32_t i = 0; i < current.size(); ++i) {
      const CompiledRule& rule = current[i];
      Napi::Object r = Napi::Object::New(env);
      r.Set("id", rule.id);
      r.Set("matched", number(rule.counters->matched));
      r.Set("bytes", number(rule.counters->bytes));
      r.Set("rateLimited", number(rule.counters->rateLimited));
      Napi::Array outputs = Napi::Array::New(env, rule.outputs.size());
      for (uint32_t k = 0; k < rule.outputs.size(); ++k) {
        const OutputCounterBlock* oc = rule.outputs[k].counters;
        Napi::Object o = Napi::Object::New(env);
        o.Set("packets", number(oc->packets));
        o.Set("bytes", number(oc->bytes));
        o.Set("txErrors", number(oc->txErrors));
        o.Set("notListened", number(oc->notListened));
        outputs.Set(k, o);
      }
      r.Set("outputs", outputs);
      rules.Set(i, r);
    }
  }
  out.Set("rules", rules);
  return out;
}

void DataPlaneWorker::LoopFailed(int err, const char* syscall) noexcept {
  loopSyscall_.store(syscall, std::memory_order_relaxed);
  loopErrno_.store(err, std::memory_order_release);
}

void DataPlaneWorker::CheckHealth(const Napi::CallbackInfo& info) {
  const int err = loopErrno_.load(std::memory_order_acquire);
  if (err != 0) throw MakeNativeError(info.Env(), err, loopSyscall_.load(std::memory_order_relaxed), interfaceName_);
}

void DataPlaneWorker::Run() noexcept {
  const size_t capacity = EgressCapacity(batchSize_);
  EgressBatch egress(capacity);  // allocated once, before the first packet
  std::vector<size_t> held(batchSize_);
  pollfd fds[2] = {{ring_.fd(), POLLIN, 0}, {loop_.eventFd(), POLLIN, 0}};
  const size_t frameCount = ring_.frameCount();
  size_t head = 0;
  ParsedFrame parsed;
  FrameMeta meta;

  // The loop's short sleeps must not be stretched by the default 50 us timer slack (measured on
  // this project's VMs: nanosleep(20 us) lasted 98 us at p50 with it, 48 us with 1 ns).
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  Pacing pacing(coalesceNs_, latencyBudgetNs_);

  for (;;) {
    // Checked without a syscall: the loop polls the eventfd only when it blocks.
    if (loop_.stopRequested()) return;
    const RuleTable* table = table_.load(std::memory_order_acquire);
    if (table != nullptr) seenGeneration_.store(table->generation(), std::memory_order_seq_cst);

    // Drain what is ready, batch by batch, before sleeping again.
    size_t taken = 0;
    BatchTally tally;
    meta.nowNs = MonotonicNs();
    while (taken < batchSize_) {
      tpacket2_hdr* hdr = ring_.Frame(head);
      const uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
      if ((status & TP_STATUS_USER) == 0) break;
      if (injectedWorkNs_ != 0) SpinFor(injectedWorkNs_);
      const uint8_t* data = reinterpret_cast<const uint8_t*>(hdr) + hdr->tp_mac;
      meta.vlan = (status & TP_STATUS_VLAN_VALID) != 0 ? static_cast<int32_t>(hdr->tp_vlan_tci & 0x0fff) : -1;
      meta.checksumPartial = (status & TP_STATUS_CSUMNOTREADY) != 0;
      if (hdr->tp_snaplen < hdr->tp_len) {
        // Larger than a ring slot (e.g. a GRO superpacket): never relay a truncated copy.
        ++tally.framesSeen;
        ++tally.malformed;
      } else if (!HandleFrame(table, data, hdr->tp_snaplen, meta, parsed, egress, capacity, tally)) {
        egress.Flush(counters_);
        HandleFrame(table, data, hdr->tp_snaplen, meta, parsed, egress, capacity, tally);
      }
      held[taken++] = head;
      head = (head + 1) % frameCount;
    }
    if (taken != 0) {
      // Payloads point into the ring: send first, then hand the frames back to the kernel.
      egress.Flush(counters_);
      for (size_t i = 0; i < taken; ++i) {
        __atomic_store_n(&ring_.Frame(held[i])->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      }
      tally.FoldInto(counters_);
    }

    int64_t sleepNs = 0;
    const int64_t now = MonotonicNs();
    switch (pacing.AfterDrain(taken, taken == batchSize_, now, sleepNs)) {
      case Pacing::Next::Drain:
        continue;
      case Pacing::Next::Sleep: {
        // Frames that arrive meanwhile wake nobody (the loop is not in poll): one timer wake-up
        // serves them all. stop() is seen at the top of the loop, within one sleep.
        const timespec pause{static_cast<time_t>(sleepNs / 1000000000), static_cast<long>(sleepNs % 1000000000)};
        nanosleep(&pause, nullptr);
        pacing.Slept(sleepNs, MonotonicNs() - now);
        continue;
      }
      case Pacing::Next::Block:
        break;
    }
    fds[0].revents = 0;
    fds[1].revents = 0;
    const int ready = poll(fds, 2, kIdlePollMs);
    if (ready > 0 && (fds[1].revents & POLLIN) != 0) return;  // stop()
    // Anything else that ends the loop is a failure the worker's owner must hear of (CheckHealth),
    // or it would sit there alive and deaf.
    if (ready < 0 && errno != EINTR) return LoopFailed(errno, "poll");
    if (ready > 0 && (fds[0].revents & POLLNVAL) != 0) return LoopFailed(EBADF, "poll");
    if (ready > 0 && (fds[0].revents & POLLERR) != 0) {
      // e.g. ENETDOWN while the link flaps: clear it and keep serving the ring.
      int soError = 0;
      socklen_t length = sizeof soError;
      getsockopt(ring_.fd(), SOL_SOCKET, SO_ERROR, &soError, &length);
    }
  }
}

}  // namespace mcr
