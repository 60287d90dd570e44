#include "reference_outputs.hpp"

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

#include "egress.hpp"
#include "forward_path.hpp"
#include "rule_spec.hpp"

namespace mcr {

Napi::Value ReferenceOutputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
  std::vector<CompiledRule> rules = ReadRuleSpecs(info[1].As<Napi::Array>());
  Napi::Buffer<uint8_t> macs = info[2].As<Napi::Buffer<uint8_t>>();
  const int32_t metadataVlan = info[3].As<Napi::Number>().Int32Value();

  std::vector<std::unique_ptr<RuleCounterBlock>> ruleBlocks;
  std::vector<std::unique_ptr<OutputCounterBlock>> outputBlocks;
  std::vector<std::pair<uint32_t, uint32_t>> places;  // by output block: (rule, output)
  for (uint32_t r = 0; r < rules.size(); ++r) {
    CompiledRule& rule = rules[r];
    ruleBlocks.push_back(std::make_unique<RuleCounterBlock>());
    rule.counters = ruleBlocks.back().get();
    for (uint32_t k = 0; k < rule.outputs.size(); ++k) {
      outputBlocks.push_back(std::make_unique<OutputCounterBlock>());
      rule.outputs[k].counters = outputBlocks.back().get();
      places.emplace_back(r, k);
    }
  }
  std::vector<uint64_t> ownMacs;
  for (size_t i = 0; i + 6 <= macs.Length(); i += 6) ownMacs.push_back(MacKey(macs.Data() + i));
  std::sort(ownMacs.begin(), ownMacs.end());
  RuleTable table(std::move(rules), 1, std::move(ownMacs));

  const std::vector<uint8_t> bytes(frame.Data(), frame.Data() + frame.Length());
  EgressBatch egress(256);
  FrameMeta meta;
  meta.vlan = metadataVlan;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  meta.nowNs = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  ParsedFrame parsed;
  BatchTally tally;
  HandleFrame(&table, bytes.data(), bytes.size(), meta, parsed, egress, 256, tally);

  Napi::Object out = Napi::Object::New(env);
  Napi::Array outputs = Napi::Array::New(env);
  for (size_t slot = 0; slot < egress.Count(); ++slot) {
    const OutputCounterBlock* counters = egress.SlotCounters(slot);
    uint32_t place = 0;
    while (place < outputBlocks.size() && outputBlocks[place].get() != counters) ++place;
    const msghdr& msg = egress.Message(slot);
    std::vector<uint8_t> joined;
    for (size_t v = 0; v < msg.msg_iovlen; ++v) {
      const auto* p = static_cast<const uint8_t*>(msg.msg_iov[v].iov_base);
      joined.insert(joined.end(), p, p + msg.msg_iov[v].iov_len);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("rule", Napi::Number::New(env, place < places.size() ? places[place].first : -1));
    o.Set("output", Napi::Number::New(env, place < places.size() ? places[place].second : -1));
    o.Set("bytes", Napi::Buffer<uint8_t>::Copy(env, joined.data(), joined.size()));
    outputs.Set(outputs.Length(), o);
  }
  egress.Discard();
  auto number = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  Napi::Object counters = Napi::Object::New(env);
  counters.Set("matched", number(tally.matched));
  counters.Set("noMatch", number(tally.noMatch));
  counters.Set("malformed", number(tally.malformed));
  counters.Set("fragments", number(tally.fragments));
  counters.Set("ownFrames", number(tally.ownFrames));
  counters.Set("badChecksum", number(tally.badChecksum));
  counters.Set("extensionHeaders", number(tally.extensionHeaders));
  counters.Set("ttlExpired", number(tally.ttlExpired));
  counters.Set("rateLimited", number(tally.rateLimited));
  counters.Set("outputAbsent", number(tally.outputAbsent));
  counters.Set("fastPath", number(tally.fastPath));
  out.Set("counters", counters);
  out.Set("outputs", outputs);
  return out;
}

}  // namespace mcr
