#include "rule_spec.hpp"

#include <cstring>
#include <string>

namespace mcr {
namespace {

uint32_t U32(const Napi::Object& o, const char* key) {
  return static_cast<uint32_t>(o.Get(key).As<Napi::Number>().Int64Value());
}

// An address Buffer (network byte order, validated in TS): 4 bytes into `v4`, 16 into `v6`.
// Returns true for IPv6.
bool ReadAddress(const Napi::Object& o, const char* key, uint32_t& v4, uint8_t* v6) {
  Napi::Buffer<uint8_t> bytes = o.Get(key).As<Napi::Buffer<uint8_t>>();
  if (bytes.Length() == 16) {
    std::memcpy(v6, bytes.Data(), 16);
    return true;
  }
  v4 = 0;
  std::memcpy(&v4, bytes.Data(), bytes.Length() < 4 ? bytes.Length() : 4);
  return false;
}

}  // namespace

std::vector<CompiledRule> ReadRuleSpecs(const Napi::Array& specs) {
  std::vector<CompiledRule> rules;
  rules.reserve(specs.Length());
  for (uint32_t i = 0; i < specs.Length(); ++i) {
    Napi::Object spec = specs.Get(i).As<Napi::Object>();
    CompiledRule rule;
    rule.id = spec.Get("id").As<Napi::String>().Utf8Value();
    rule.ipv6 = ReadAddress(spec, "group", rule.group, rule.group6);
    rule.prefixLength = U32(spec, "prefixLength");
    rule.port = static_cast<uint16_t>(U32(spec, "port"));
    rule.hasSource = spec.Get("hasSource").As<Napi::Boolean>().Value();
    ReadAddress(spec, "source", rule.source, rule.source6);
    rule.vlan = static_cast<int32_t>(spec.Get("vlan").As<Napi::Number>().Int32Value());
    rule.maxPps = U32(spec, "maxPps");
    // Offset mapping keeps the input destination's host bits: those outside the rule's prefix.
    const Address128 hostMask = ~rule.mask128();
    Napi::Array outputs = spec.Get("outputs").As<Napi::Array>();
    rule.outputs.resize(outputs.Length());
    for (uint32_t k = 0; k < outputs.Length(); ++k) {
      Napi::Object o = outputs.Get(k).As<Napi::Object>();
      CompiledOutput& out = rule.outputs[k];
      out.interfaceName = o.Get("interface").As<Napi::String>().Utf8Value();
      out.ifindex = static_cast<int>(U32(o, "ifindex"));
      out.ipv6 = ReadAddress(o, "group", out.group, out.group6);
      out.multicast = o.Get("multicast").As<Napi::Boolean>().Value();
      out.mapsRange = o.Get("mapsRange").As<Napi::Boolean>().Value();
      if (out.mapsRange) out.hostMask = out.ipv6 ? hostMask : Address128{0, hostMask.lo & 0xffffffffu};
      out.port = static_cast<uint16_t>(U32(o, "port"));
      out.ttl = static_cast<uint8_t>(U32(o, "ttl"));
      out.ttlSet = o.Get("ttlSet").As<Napi::Boolean>().Value();
      ReadAddress(o, "sourceAddress", out.sourceAddress, out.sourceAddress6);
      Napi::Buffer<uint8_t> mac = o.Get("sourceMac").As<Napi::Buffer<uint8_t>>();
      std::memcpy(out.sourceMac, mac.Data(), mac.Length() < 6 ? mac.Length() : 6);
      Napi::Value listeners = o.Get("listeners");
      if (listeners.IsBuffer()) {
        Napi::Buffer<uint8_t> gates = listeners.As<Napi::Buffer<uint8_t>>();
        if (!out.listeners.Decode(gates.Data(), gates.Length(), out.ipv6 ? 16 : 4)) {
          // encodeListeners wrote something else: a bug on the TS side, never a user's input.
          throw Napi::TypeError::New(specs.Env(), "rules[" + std::to_string(i) + "].outputs[" + std::to_string(k) +
                                                      "].listeners: not whole gates (encodeListeners)");
        }
      }
      PrepareOutputTemplate(out);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace mcr
