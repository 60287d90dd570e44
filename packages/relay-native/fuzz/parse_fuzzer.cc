// libFuzzer target for the per-frame path: ParseFrame, then (through HandleFrame in
// forward_path.hpp) the rule lookup and the 42-byte header rewrite, on a small fixed rule table.
// Pure C++: no Napi, no sockets (the egress batch is discarded, never flushed).
// Build: fuzz/build.sh. Invariant violations call __builtin_trap(), which libFuzzer reports as a
// crash and saves the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "egress.hpp"
#include "forward_path.hpp"
#include "frame_parser.hpp"
#include "rule_table.hpp"

namespace {

using mcr::BatchTally;
using mcr::CompiledOutput;
using mcr::CompiledRule;
using mcr::EgressBatch;
using mcr::FrameKind;
using mcr::ParsedFrame;
using mcr::RuleTable;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

uint32_t Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t bytes[4] = {a, b, c, d};
  uint32_t v;
  std::memcpy(&v, bytes, 4);  // network byte order, as the parser stores it
  return v;
}

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

CompiledOutput Output(uint32_t group, uint16_t port, uint8_t ttl, bool multicast) {
  CompiledOutput o;
  o.interfaceName = "fz0";
  o.ifindex = 2;
  o.group = group;
  o.port = port;
  o.ttl = ttl;
  o.sourceAddress = Ip(10, 9, 8, 7);
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(o.sourceMac, mac, 6);
  o.multicast = multicast;
  mcr::PrepareOutputTemplate(o);
  return o;
}

CompiledRule Rule(const char* id, uint32_t group, uint16_t port, bool hasSource, uint32_t source,
                  std::vector<CompiledOutput> outputs) {
  CompiledRule r;
  r.id = id;
  r.group = group;
  r.port = port;
  r.hasSource = hasSource;
  r.source = source;
  r.outputs = std::move(outputs);
  return r;
}

// Same (group, port) with a wildcard and a source-specific rule, a unicast output, a rule with
// more outputs than the egress batch holds, and port 0 / 0.0.0.0 edge keys.
struct Fixture {
  std::vector<std::unique_ptr<mcr::RuleCounterBlock>> ruleBlocks;
  std::vector<std::unique_ptr<mcr::OutputCounterBlock>> outputBlocks;
  std::unique_ptr<RuleTable> table;
  static constexpr size_t kEgressCapacity = 4;
  EgressBatch egress{kEgressCapacity};

  Fixture() {
    std::vector<CompiledRule> rules;
    const uint32_t g1 = Ip(239, 1, 1, 1);
    rules.push_back(Rule("wild", g1, 5001, false, 0, {Output(Ip(239, 2, 2, 2), 6001, 4, true)}));
    rules.push_back(Rule("ssm", g1, 5001, true, Ip(10, 1, 2, 3),
                         {Output(Ip(239, 3, 3, 3), 6002, 1, true), Output(Ip(10, 0, 0, 9), 6003, 64, false)}));
    rules.push_back(Rule("ssm-only", Ip(232, 0, 0, 1), 1234, true, Ip(192, 168, 0, 1),
                         {Output(Ip(224, 0, 0, 251), 5353, 255, true)}));
    std::vector<CompiledOutput> many;
    for (int i = 0; i < 6; ++i) many.push_back(Output(Ip(239, 255, 0, static_cast<uint8_t>(i)), 7000, 2, true));
    rules.push_back(Rule("wide", Ip(239, 255, 255, 250), 1900, false, 0, std::move(many)));
    rules.push_back(Rule("zero", 0, 0, false, 0, {Output(Ip(239, 0, 0, 0), 0, 0, true)}));
    rules.push_back(Rule("max", Ip(255, 255, 255, 255), 65535, false, 0, {Output(Ip(239, 127, 255, 255), 65535, 1, true)}));
    for (CompiledRule& rule : rules) {
      ruleBlocks.push_back(std::make_unique<mcr::RuleCounterBlock>());
      rule.counters = ruleBlocks.back().get();
      for (CompiledOutput& output : rule.outputs) {
        outputBlocks.push_back(std::make_unique<mcr::OutputCounterBlock>());
        output.counters = outputBlocks.back().get();
      }
    }
    table = std::make_unique<RuleTable>(std::move(rules), 1);
  }
};

// Reference lookup: linear scan, source-specific first.
const CompiledRule* SlowLookup(const RuleTable& table, uint32_t group, uint16_t port, uint32_t source) {
  const CompiledRule* wildcard = nullptr;
  for (const CompiledRule& r : table.rules()) {
    if (r.group != group || r.port != port) continue;
    if (r.hasSource && r.source == source) return &r;
    if (!r.hasSource && wildcard == nullptr) wildcard = &r;
  }
  return wildcard;
}

// Independent re-reading of the frame for a parse the parser calls UDP.
void CheckUdp(const uint8_t* data, size_t size, const ParsedFrame& p) {
  const bool tagged = size >= 14 && Read16(data + 12) == 0x8100;
  CHECK(p.l3Offset == (tagged ? 18u : 14u));
  CHECK(tagged ? (p.vlan >= 0 && p.vlan <= 0x0fff) : p.vlan == -1);
  const uint8_t* ip = data + p.l3Offset;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  CHECK((ip[0] >> 4) == 4 && ihl >= 20);
  CHECK(ip[9] == 17);
  CHECK((Read16(ip + 6) & 0x3fff) == 0);  // neither MF nor a fragment offset
  const size_t total = Read16(ip + 2);
  CHECK(p.l3Offset + total <= size);
  CHECK(p.payloadOffset == p.l3Offset + ihl + 8);
  // Payload within the frame and within the IPv4 packet (padding is not payload).
  CHECK(static_cast<uint64_t>(p.payloadOffset) + p.payloadLength <= size);
  CHECK(static_cast<uint64_t>(p.payloadOffset) + p.payloadLength <= p.l3Offset + total);
  const uint8_t* udp = ip + ihl;
  CHECK(p.payloadLength + 8u == Read16(udp + 4));
  CHECK(p.sourcePort == Read16(udp) && p.port == Read16(udp + 2));
  CHECK(std::memcmp(&p.source, ip + 12, 4) == 0 && std::memcmp(&p.group, ip + 16, 4) == 0);
  CHECK(p.ttl == ip[8] && p.tos == ip[1]);
  CHECK(p.dontFragment == ((ip[6] & 0x40) != 0));
  // Touch the first and last payload byte so ASan sees any read the forwarder would make.
  if (p.payloadLength != 0) {
    volatile uint8_t sink = data[p.payloadOffset];
    sink = data[p.payloadOffset + p.payloadLength - 1];
    (void)sink;
  }
}

// The rewritten header: lengths, a checksum that verifies, constant fields from the template.
void CheckRewrite(const CompiledOutput& output, const ParsedFrame& p, const uint8_t* frame) {
  uint8_t header[mcr::kHeaderBytes + 8];
  std::memset(header, 0xa5, sizeof header);
  mcr::RewriteHeader(output, p, frame, header);
  for (size_t i = mcr::kHeaderBytes; i < sizeof header; ++i) CHECK(header[i] == 0xa5);  // no overrun
  const uint8_t* ip = header + 14;
  const uint8_t* udp = ip + 20;
  CHECK(ip[0] == 0x45 && ip[9] == 17 && ip[8] == output.ttl && ip[1] == p.tos);
  CHECK(Read16(ip + 2) == 28u + p.payloadLength);  // fits 16 bits: the parser bounds the payload
  CHECK(Read16(udp + 4) == 8u + p.payloadLength);
  CHECK(Read16(udp) == p.sourcePort && Read16(udp + 2) == output.port);
  CHECK((ip[6] & 0x40) == (p.dontFragment ? 0x40 : 0) && (Read16(ip + 6) & 0xbfff) == 0);
  CHECK(std::memcmp(ip + 16, &output.group, 4) == 0 && std::memcmp(ip + 12, &output.sourceAddress, 4) == 0);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += Read16(ip + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  CHECK(sum == 0xffff);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();  // built once, never freed (as the worker's table)
  const RuleTable& table = *fixture->table;

  ParsedFrame parsed;
  mcr::ParseFrame(data, size, parsed);
  switch (parsed.kind) {
    case FrameKind::Udp: CheckUdp(data, size, parsed); break;
    case FrameKind::Malformed: CHECK(parsed.reason != nullptr && parsed.reason[0] != '\0'); break;
    case FrameKind::Fragment:
    case FrameKind::NotIpv4:
    case FrameKind::NotUdp: break;
    default: __builtin_trap();
  }
  if (parsed.kind != FrameKind::Udp) CHECK(parsed.payloadOffset == 0 && parsed.payloadLength == 0);
  if (parsed.kind != FrameKind::Malformed) CHECK(parsed.reason[0] == '\0');

  // Lookup against the reference scan, then the rewrite for every output of the match.
  const CompiledRule* expected = nullptr;
  if (parsed.kind == FrameKind::Udp) {
    const CompiledRule* rule = table.Lookup(parsed.group, parsed.port, parsed.source);
    expected = SlowLookup(table, parsed.group, parsed.port, parsed.source);
    CHECK(rule == expected);
    if (rule != nullptr) {
      for (const CompiledOutput& output : rule->outputs) CheckRewrite(output, parsed, data);
    }
  }

  // The shared hot path, as the worker runs it: a half-full batch first (first input byte picks
  // how full), so the "flush and call again" branch is reached too.
  EgressBatch& egress = fixture->egress;
  egress.Discard();
  ParsedFrame dummy;
  const size_t prefill = size == 0 ? 0 : data[0] % (Fixture::kEgressCapacity + 1);
  const CompiledOutput& filler = table.rules().front().outputs.front();
  for (size_t i = 0; i < prefill; ++i) egress.Queue(filler, dummy, data);
  BatchTally tally;
  ParsedFrame again;
  const size_t before = egress.Count();
  if (!mcr::HandleFrame(&table, data, size, again, egress, Fixture::kEgressCapacity, tally)) {
    CHECK(expected != nullptr && before != 0);
    CHECK(before + expected->outputs.size() > Fixture::kEgressCapacity);
    CHECK(tally.framesSeen == 0 && egress.Count() == before);
    egress.Discard();
    CHECK(mcr::HandleFrame(&table, data, size, again, egress, Fixture::kEgressCapacity, tally));
  }
  CHECK(again.kind == parsed.kind && again.payloadOffset == parsed.payloadOffset &&
        again.payloadLength == parsed.payloadLength);
  CHECK(tally.framesSeen == 1);
  CHECK(tally.matched + tally.noMatch + tally.malformed + tally.fragments == 1);
  CHECK((tally.matched == 1) == (expected != nullptr));
  CHECK(egress.Count() <= Fixture::kEgressCapacity);
  egress.Discard();
  return 0;
}
