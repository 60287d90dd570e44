#include "tc_engine.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "bpf/tc_abi.h"
#include "relay_tc.skel.h"
#include "rule_spec.hpp"
#include "util/errors.hpp"

namespace mcr {
namespace {

static_assert(TC_CREDIT_PER_FRAME == kCreditPerFrame, "the program and the packet engine charge a frame alike");
static_assert(TC_MAX_RULES == 4096, "NATIVE_LIMITS.maxRulesPerTable");
static_assert(TC_MAX_OWN_MACS == 1024, "NATIVE_LIMITS.maxOwnMacs");

// Not in Debian 12's 6.1 UAPI headers nor libbpf 1.1.2: the upstream enum bpf_attach_type value.
// libbpf 1.1.2's bpf_link_create passes an attach type it does not know through its default case
// (prog_fd, target ifindex, attach_type; no options), which is all a tcx append needs.
constexpr int kBpfTcxIngress = 46;

// The clsact filter's handle and priority ("MC", "R"), so a stale filter of ours is found again.
constexpr uint32_t kClsHandle = 0x4d43;
constexpr uint32_t kClsPriority = 0x52;

// libbpf 1.x returns -errno.
int Errno(long ret) { return ret < 0 ? static_cast<int>(-ret) : (errno != 0 ? errno : EINVAL); }

bool JitEnabled() {
  std::ifstream in("/proc/sys/net/core/bpf_jit_enable");
  int value = 0;
  return static_cast<bool>(in >> value) && value != 0;
}

void CopyMac(const uint8_t* from, uint8_t* to) { std::memcpy(to, from, 6); }

// The inner map of one generation: an LPM trie like the program's template.
int CreateTable(SysError& error) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
  const int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "mcr_tc_table", sizeof(tc_key), sizeof(tc_rule),
                                TC_TABLE_ENTRIES, &opts);
  if (fd < 0) error = {Errno(fd), "bpf_map_create"};
  return fd;
}

void FillKey(const CompiledRule& rule, tc_key& key) {
  std::memset(&key, 0, sizeof key);
  key.family = rule.ipv6 ? TC_KEY_IPV6 : TC_KEY_IPV4;
  key.has_source = rule.hasSource ? 1 : 0;
  const uint16_t vlan = static_cast<uint16_t>(rule.vlan + 1);
  key.vlan = htons(vlan);
  key.port = htons(rule.port);
  if (rule.ipv6) {
    std::memcpy(key.group, rule.group6, 16);
    if (rule.hasSource) std::memcpy(key.source, rule.source6, 16);
  } else {
    std::memcpy(key.group, &rule.group, 4);
    if (rule.hasSource) std::memcpy(key.source, &rule.source, 4);
  }
  key.prefixlen = TC_KEY_FIXED_BITS + rule.prefixLength;
}

void FillRule(const CompiledRule& rule, uint32_t slot, tc_rule& value) {
  std::memset(&value, 0, sizeof value);
  value.slot = slot;
  value.prefix = static_cast<uint16_t>(rule.prefixLength);
  value.n_outputs = static_cast<uint8_t>(rule.outputs.size());
  value.max_pps = rule.maxPps;
  value.burst_credit = rule.burstCredit;
  for (size_t k = 0; k < rule.outputs.size(); ++k) {
    const CompiledOutput& o = rule.outputs[k];
    tc_output& out = value.outputs[k];
    out.ifindex = static_cast<uint32_t>(o.ifindex);
    out.flags = static_cast<uint8_t>((o.ipv6 ? TC_OUT_IPV6 : 0) | (o.ttlSet ? TC_OUT_TTL_SET : 0) |
                                     (o.mapsRange ? TC_OUT_MAPS_RANGE : 0));
    out.ttl = o.ttl;
    out.port = htons(o.port);
    CopyMac(o.sourceMac, out.source_mac);
    if (o.ipv6) {
      std::memcpy(out.group, o.group6, 16);
      std::memcpy(out.source, o.sourceAddress6, 16);
      Store6(o.hostMask, out.host_mask);
    } else {
      std::memcpy(out.group, &o.group, 4);
      std::memcpy(out.source, &o.sourceAddress, 4);
      const uint32_t mask = htonl(static_cast<uint32_t>(o.hostMask.lo));
      std::memcpy(out.host_mask, &mask, 4);
    }
  }
}

// Why the program cannot take this rule, or "" when it can.
std::string Refusal(const CompiledRule& rule) {
  if (rule.outputs.size() > TC_MAX_OUTPUTS) {
    return "it has " + std::to_string(rule.outputs.size()) + " outputs; the tc program clones to at most " +
           std::to_string(TC_MAX_OUTPUTS);
  }
  for (const CompiledOutput& o : rule.outputs) {
    if (!o.multicast) return "output " + o.interfaceName + " is unicast (the tc program needs no neighbour lookup only for multicast)";
    if (o.listeners.enabled()) return "output " + o.interfaceName + " has listener gates";
  }
  return "";
}

}  // namespace

Napi::Function TcEngine::Define(Napi::Env env) {
  return DefineClass(env, "TcEngine",
                     {
                         InstanceMethod<&TcEngine::Attach>("attach"),
                         InstanceMethod<&TcEngine::SetRules>("setRules"),
                         InstanceMethod<&TcEngine::Counters>("counters"),
                         InstanceMethod<&TcEngine::TestEmit>("testEmit"),
                         InstanceMethod<&TcEngine::TestIngress>("testIngress"),
                         InstanceMethod<&TcEngine::Close>("close"),
                         StaticMethod<&TcEngine::Probe>("probe"),
                         StaticMethod<&TcEngine::TcxPrograms>("tcxPrograms"),
                     });
}

Napi::Value TcEngine::Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array missing = Napi::Array::New(env);
  auto miss = [&](const std::string& what) { missing.Set(missing.Length(), what); };
  const bool clsBpf = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, nullptr) == 1;
  if (!clsBpf) miss("BPF program type SCHED_CLS (cls_bpf)");
  const struct {
    bpf_func_id id;
    const char* name;
  } helpers[] = {
      {BPF_FUNC_clone_redirect, "bpf_clone_redirect"}, {BPF_FUNC_l3_csum_replace, "bpf_l3_csum_replace"},
      {BPF_FUNC_l4_csum_replace, "bpf_l4_csum_replace"}, {BPF_FUNC_csum_diff, "bpf_csum_diff"},
      {BPF_FUNC_skb_store_bytes, "bpf_skb_store_bytes"}, {BPF_FUNC_skb_vlan_pop, "bpf_skb_vlan_pop"},
      {BPF_FUNC_skb_vlan_push, "bpf_skb_vlan_push"}, {BPF_FUNC_spin_lock, "bpf_spin_lock"},
      {BPF_FUNC_loop, "bpf_loop"},
  };
  bool allHelpers = clsBpf;
  for (const auto& h : helpers) {
    if (clsBpf && libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, h.id, nullptr) != 1) {
      miss(std::string("helper ") + h.name);
      allHelpers = false;
    }
  }
  // tcx: a query of the loopback's tcx ingress answers on 6.6+ and fails with EINVAL before.
  uint32_t count = 0;
  const int query = bpf_prog_query(1, static_cast<bpf_attach_type>(kBpfTcxIngress), 0, nullptr, nullptr, &count);
  const bool tcx = query == 0;
  const bool jit = JitEnabled();
  if (!jit) miss("BPF JIT (net.core.bpf_jit_enable is 0)");
  out.Set("clsBpf", clsBpf);
  out.Set("tcx", tcx);
  out.Set("jit", jit);
  out.Set("helpers", allHelpers);
  out.Set("missing", missing);
  return out;
}

// tcxPrograms(ifindex) -> the number of programs on the interface's tcx ingress, or null without tcx.
Napi::Value TcEngine::TcxPrograms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int ifindex = info[0].As<Napi::Number>().Int32Value();
  uint32_t count = 0;
  const int ret = bpf_prog_query(ifindex, static_cast<bpf_attach_type>(kBpfTcxIngress), 0, nullptr, nullptr, &count);
  if (ret == -EINVAL) return env.Null();
  if (ret != 0) throw MakeNativeError(env, Errno(ret), "bpf_prog_query");
  return Napi::Number::New(env, count);
}

TcEngine::TcEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcEngine>(info) {
  Napi::Env env = info.Env();
  interfaceName_ = info[0].As<Napi::String>().Utf8Value();
  ifindex_ = info[1].As<Napi::Number>().Int32Value();
  const uint32_t injectedCost = info[2].As<Napi::Number>().Uint32Value();
  noTcx_ = info[3].As<Napi::Boolean>().Value();
  errno = 0;
  skel_ = relay_tc::open();
  if (skel_ == nullptr) throw MakeNativeError(env, Errno(-errno), "bpf_object__open", interfaceName_);
  skel_->rodata->injected_cost_loops = injectedCost;
  const int loaded = relay_tc::load(skel_);
  if (loaded != 0) {
    CloseAll();
    throw MakeNativeError(env, Errno(loaded), "bpf_object__load", interfaceName_);
  }
  cleanup_.Add(env);
}

TcEngine::~TcEngine() { CloseAll(); }

Napi::Value TcEngine::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr) throw Napi::Error::New(env, "TcEngine: closed");
  if (linkFd_ >= 0) return Napi::String::New(env, "tcx");
  if (clsBpf_) return Napi::String::New(env, "cls_bpf");
  const int prog = bpf_program__fd(skel_->progs.mcr_tc_ingress);
  int tcxErr = EINVAL;  // as a kernel without tcx answers
  if (!noTcx_) {
    const int link = bpf_link_create(prog, ifindex_, static_cast<bpf_attach_type>(kBpfTcxIngress), nullptr);
    if (link >= 0) {
      linkFd_ = link;
      return Napi::String::New(env, "tcx");
    }
    tcxErr = Errno(link);
  }
  // No tcx (before Linux 6.6): a clsact cls_bpf filter, after removing a stale one of ours.
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex_, .attach_point = BPF_TC_INGRESS);
  const int created = bpf_tc_hook_create(&hook);
  if (created != 0 && created != -EEXIST) {
    throw MakeNativeError(env, Errno(created), tcxErr == EINVAL ? "bpf_tc_hook_create" : "bpf_link_create", interfaceName_);
  }
  LIBBPF_OPTS(bpf_tc_opts, stale, .handle = kClsHandle, .priority = kClsPriority);
  bpf_tc_detach(&hook, &stale);
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog, .handle = kClsHandle, .priority = kClsPriority);
  const int attached = bpf_tc_attach(&hook, &opts);
  if (attached != 0) throw MakeNativeError(env, Errno(attached), "bpf_tc_attach", interfaceName_);
  clsBpf_ = true;
  return Napi::String::New(env, "cls_bpf");
}

void TcEngine::ResetSlot(Napi::Env env, uint32_t slot) {
  const int cpus = libbpf_num_possible_cpus();
  std::vector<tc_rule_counters> zero(cpus > 0 ? static_cast<size_t>(cpus) : 1);
  std::memset(zero.data(), 0, zero.size() * sizeof(tc_rule_counters));
  int ret = bpf_map_update_elem(bpf_map__fd(skel_->maps.rule_counters), &slot, zero.data(), BPF_ANY);
  if (ret != 0) throw MakeNativeError(env, Errno(ret), "bpf_map_update_elem", interfaceName_);
  tc_bucket bucket;
  std::memset(&bucket, 0, sizeof bucket);
  ret = bpf_map_update_elem(bpf_map__fd(skel_->maps.buckets), &slot, &bucket, BPF_ANY);
  if (ret != 0) throw MakeNativeError(env, Errno(ret), "bpf_map_update_elem", interfaceName_);
}

// setRules(rules, ownMacs): a new generation, filled, then swapped in by one update of `tables`.
void TcEngine::SetRules(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr) throw Napi::Error::New(env, "TcEngine: closed");
  std::vector<CompiledRule> rules = ReadRuleSpecs(info[0].As<Napi::Array>());
  Napi::Buffer<uint8_t> macs = info[1].As<Napi::Buffer<uint8_t>>();
  if (rules.size() > TC_MAX_RULES) throw Napi::RangeError::New(env, "rules: more than the tc engine's table holds");
  if (macs.Length() / 6 > TC_MAX_OWN_MACS) throw Napi::RangeError::New(env, "ownMacs: more than the tc engine's table holds");
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string why = Refusal(rules[i]);
    if (!why.empty()) throw Napi::RangeError::New(env, "rules[" + std::to_string(i) + "] (" + rules[i].id + "): the tc engine cannot take it: " + why);
    rules[i].burstCredit = BurstCredit(rules[i].maxPps);
  }
  // Slots: kept for ids that stay, free ones reused (zeroed) for new ids.
  std::map<std::string, uint32_t> slots;
  std::vector<bool> used(TC_MAX_RULES, false);
  for (const CompiledRule& rule : rules) {
    auto it = slots_.find(rule.id);
    if (it != slots_.end()) {
      slots[rule.id] = it->second;
      used[it->second] = true;
    }
  }
  uint32_t next = 0;
  std::vector<uint32_t> fresh;
  for (const CompiledRule& rule : rules) {
    if (slots.count(rule.id) != 0) continue;
    while (used[next]) ++next;
    used[next] = true;
    slots[rule.id] = next;
    fresh.push_back(next);
  }
  for (uint32_t slot : fresh) ResetSlot(env, slot);

  SysError error;
  const int table = CreateTable(error);
  if (table < 0) throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  tc_key key;
  tc_rule value;
  for (const CompiledRule& rule : rules) {
    FillKey(rule, key);
    FillRule(rule, slots[rule.id], value);
    const int ret = bpf_map_update_elem(table, &key, &value, BPF_NOEXIST);
    if (ret != 0) {
      close(table);
      throw MakeNativeError(env, Errno(ret), "bpf_map_update_elem", interfaceName_);
    }
  }
  std::memset(&value, 0, sizeof value);
  value.is_mac = 1;
  for (size_t i = 0; i + 6 <= macs.Length(); i += 6) {
    std::memset(&key, 0, sizeof key);
    key.prefixlen = TC_KEY_FIXED_BITS + 48;
    key.family = TC_KEY_MAC;
    CopyMac(macs.Data() + i, key.group);
    const int ret = bpf_map_update_elem(table, &key, &value, BPF_ANY);
    if (ret != 0) {
      close(table);
      throw MakeNativeError(env, Errno(ret), "bpf_map_update_elem", interfaceName_);
    }
  }
  const uint32_t zero = 0;
  const int swapped = bpf_map_update_elem(bpf_map__fd(skel_->maps.tables), &zero, &table, BPF_ANY);
  if (swapped != 0) {
    close(table);
    throw MakeNativeError(env, Errno(swapped), "bpf_map_update_elem", interfaceName_);
  }
  // The kernel holds the generation now (and frees it after the last packet that looked it up).
  if (tableFd_ >= 0) close(tableFd_);
  tableFd_ = table;
  slots_ = std::move(slots);
  rules_.clear();
  for (const CompiledRule& rule : rules) rules_.push_back({rule.id, slots_[rule.id], rule.outputs.size()});
}

Napi::Value TcEngine::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr) throw Napi::Error::New(env, "TcEngine: closed");
  const int cpus = libbpf_num_possible_cpus();
  const size_t n = cpus > 0 ? static_cast<size_t>(cpus) : 1;
  uint64_t frame[TC_C_MAX] = {};
  std::vector<uint64_t> perCpu(n);
  for (uint32_t c = 0; c < TC_C_MAX; ++c) {
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.frame_counters), &c, perCpu.data()) != 0) continue;
    for (uint64_t v : perCpu) frame[c] += v;
  }
  auto number = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  Napi::Object out = Napi::Object::New(env);
  out.Set("framesSeen", number(frame[TC_C_FRAMES_SEEN]));
  out.Set("matched", number(frame[TC_C_MATCHED]));
  out.Set("noMatch", number(frame[TC_C_NO_MATCH]));
  out.Set("malformed", number(0));
  out.Set("fragments", number(0));
  out.Set("forwarded", number(frame[TC_C_FORWARDED]));
  out.Set("txErrors", number(frame[TC_C_TX_ERRORS]));
  out.Set("kernelPackets", number(0));
  out.Set("kernelDrops", number(0));
  out.Set("ownFrames", number(frame[TC_C_OWN_FRAMES]));
  out.Set("badChecksum", number(frame[TC_C_BAD_CHECKSUM]));
  out.Set("extensionHeaders", number(0));
  out.Set("ttlExpired", number(frame[TC_C_TTL_EXPIRED]));
  out.Set("rateLimited", number(frame[TC_C_RATE_LIMITED]));
  out.Set("outputAbsent", number(frame[TC_C_OUTPUT_ABSENT]));
  out.Set("notListened", number(0));
  out.Set("deferred", number(frame[TC_C_DEFERRED]));
  out.Set("rewriteErrors", number(frame[TC_C_REWRITE_ERRORS]));
  std::vector<tc_rule_counters> blocks(n);
  Napi::Array rules = Napi::Array::New(env, rules_.size());
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const RuleInfo& rule = rules_[i];
    tc_rule_counters sum;
    std::memset(&sum, 0, sizeof sum);
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.rule_counters), &rule.slot, blocks.data()) == 0) {
      for (const tc_rule_counters& b : blocks) {
        sum.matched += b.matched;
        sum.bytes += b.bytes;
        sum.rate_limited += b.rate_limited;
        for (size_t k = 0; k < TC_MAX_OUTPUTS; ++k) {
          sum.outputs[k].packets += b.outputs[k].packets;
          sum.outputs[k].bytes += b.outputs[k].bytes;
          sum.outputs[k].tx_errors += b.outputs[k].tx_errors;
        }
      }
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", rule.id);
    r.Set("matched", number(sum.matched));
    r.Set("bytes", number(sum.bytes));
    r.Set("rateLimited", number(sum.rate_limited));
    Napi::Array outputs = Napi::Array::New(env, rule.outputs);
    for (uint32_t k = 0; k < rule.outputs; ++k) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("packets", number(sum.outputs[k].packets));
      o.Set("bytes", number(sum.outputs[k].bytes));
      o.Set("txErrors", number(sum.outputs[k].tx_errors));
      o.Set("notListened", number(0));
      outputs.Set(k, o);
    }
    r.Set("outputs", outputs);
    rules.Set(i, r);
  }
  out.Set("rules", rules);
  return out;
}

namespace {

// One BPF_PROG_TEST_RUN of `prog` on `frame`: {retval, frame (data_out)}.
Napi::Value TestRun(Napi::Env env, int prog, const Napi::Buffer<uint8_t>& frame, int ingressIfindex,
                    const std::string& interfaceName) {
  std::vector<uint8_t> out(frame.Length() + 256);
  __sk_buff ctx;
  std::memset(&ctx, 0, sizeof ctx);
  ctx.ingress_ifindex = static_cast<uint32_t>(ingressIfindex);
  ctx.ifindex = static_cast<uint32_t>(ingressIfindex);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.Data(), .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(frame.Length()), .data_size_out = static_cast<uint32_t>(out.size()),
              .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .repeat = 1);
  const int ret = bpf_prog_test_run_opts(prog, &opts);
  if (ret != 0) throw MakeNativeError(env, Errno(ret), "bpf_prog_test_run_opts", interfaceName);
  Napi::Object result = Napi::Object::New(env);
  result.Set("retval", Napi::Number::New(env, static_cast<int32_t>(opts.retval)));
  result.Set("frame", Napi::Buffer<uint8_t>::Copy(env, out.data(), opts.data_size_out));
  return result;
}

}  // namespace

// TEST-ONLY: testEmit(frame, output, vlan (-1: none), takeToken) -> {retval (TC_TEST_*), frame}.
Napi::Value TcEngine::TestEmit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr) throw Napi::Error::New(env, "TcEngine: closed");
  tc_test_request request;
  std::memset(&request, 0, sizeof request);
  request.output = info[1].As<Napi::Number>().Uint32Value();
  request.vlan = static_cast<uint32_t>(info[2].As<Napi::Number>().Int32Value() + 1);
  request.take_token = info[3].As<Napi::Boolean>().Value() ? 1 : 0;
  const uint32_t zero = 0;
  const int ret = bpf_map_update_elem(bpf_map__fd(skel_->maps.test_request), &zero, &request, BPF_ANY);
  if (ret != 0) throw MakeNativeError(env, Errno(ret), "bpf_map_update_elem", interfaceName_);
  return TestRun(env, bpf_program__fd(skel_->progs.mcr_tc_test_emit), info[0].As<Napi::Buffer<uint8_t>>(), ifindex_,
                 interfaceName_);
}

// TEST-ONLY: testIngress(frame) -> {retval (tc verdict), frame}: the attached program's own run
// (its clones go to the outputs' ifindexes if they exist in this namespace).
Napi::Value TcEngine::TestIngress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr) throw Napi::Error::New(env, "TcEngine: closed");
  return TestRun(env, bpf_program__fd(skel_->progs.mcr_tc_ingress), info[0].As<Napi::Buffer<uint8_t>>(), ifindex_,
                 interfaceName_);
}

void TcEngine::Close(const Napi::CallbackInfo& info) { CloseAll(); }

void TcEngine::CloseAll() noexcept {
  if (linkFd_ >= 0) {
    close(linkFd_);  // the last descriptor of a tcx link: the kernel detaches the program
    linkFd_ = -1;
  }
  if (clsBpf_) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex_, .attach_point = BPF_TC_INGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kClsHandle, .priority = kClsPriority);
    bpf_tc_detach(&hook, &opts);
    clsBpf_ = false;
  }
  if (tableFd_ >= 0) {
    close(tableFd_);
    tableFd_ = -1;
  }
  if (skel_ != nullptr) {
    relay_tc::destroy(skel_);
    skel_ = nullptr;
  }
}

}  // namespace mcr
