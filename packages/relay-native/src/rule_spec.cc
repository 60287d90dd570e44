#include "rule_spec.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace mcr {
namespace {

uint32_t U32(const Napi::Object& o, const char* key) {
  return static_cast<uint32_t>(o.Get(key).As<Napi::Number>().Int64Value());
}

// A 4-byte address Buffer (network byte order) as the uint32 the IPv4 path keeps.
uint32_t Address4(const Napi::Object& o, const char* key) {
  Napi::Buffer<uint8_t> bytes = o.Get(key).As<Napi::Buffer<uint8_t>>();
  if (bytes.Length() != 4) throw Napi::RangeError::New(o.Env(), "IPv6 rules are not supported by this build yet");
  uint32_t value = 0;
  std::memcpy(&value, bytes.Data(), 4);
  return value;
}

}  // namespace

std::vector<CompiledRule> ReadRuleSpecs(const Napi::Array& specs) {
  std::vector<CompiledRule> rules;
  rules.reserve(specs.Length());
  for (uint32_t i = 0; i < specs.Length(); ++i) {
    Napi::Object spec = specs.Get(i).As<Napi::Object>();
    CompiledRule rule;
    rule.id = spec.Get("id").As<Napi::String>().Utf8Value();
    rule.group = Address4(spec, "group");
    if (U32(spec, "prefixLength") != 32) throw Napi::RangeError::New(spec.Env(), "range rules are not supported by this build yet");
    rule.port = static_cast<uint16_t>(U32(spec, "port"));
    rule.hasSource = spec.Get("hasSource").As<Napi::Boolean>().Value();
    rule.source = Address4(spec, "source");
    rule.vlan = static_cast<int32_t>(spec.Get("vlan").As<Napi::Number>().Int32Value());
    rule.maxPps = U32(spec, "maxPps");
    Napi::Array outputs = spec.Get("outputs").As<Napi::Array>();
    rule.outputs.resize(outputs.Length());
    for (uint32_t k = 0; k < outputs.Length(); ++k) {
      Napi::Object o = outputs.Get(k).As<Napi::Object>();
      CompiledOutput& out = rule.outputs[k];
      out.interfaceName = o.Get("interface").As<Napi::String>().Utf8Value();
      out.ifindex = static_cast<int>(U32(o, "ifindex"));
      out.group = Address4(o, "group");
      out.multicast = o.Get("multicast").As<Napi::Boolean>().Value();
      out.port = static_cast<uint16_t>(U32(o, "port"));
      out.ttl = static_cast<uint8_t>(U32(o, "ttl"));
      out.ttlSet = o.Get("ttlSet").As<Napi::Boolean>().Value();
      out.sourceAddress = Address4(o, "sourceAddress");
      Napi::Buffer<uint8_t> mac = o.Get("sourceMac").As<Napi::Buffer<uint8_t>>();
      std::memcpy(out.sourceMac, mac.Data(), mac.Length() < 6 ? mac.Length() : 6);
      PrepareOutputTemplate(out);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace mcr
