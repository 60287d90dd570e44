// libFuzzer target for the per-frame path: ParseFrame (IPv4 and IPv6), then (through HandleFrame
// in forward_path.hpp) the loop guard, the rule lookup by (group, port, source, VLAN) over exact and
// range rules of both families, the IPv4 header check, the rate limit, the listener gates (exact
// and offset-mapped outputs, include and exclude), the TTL / hop-limit rules and the header rewrite
// (offset mapping included) with its UDP checksum, on a small fixed rule table. The same input is
// also read as encoded listener gates (ListenerGates::Decode), checked against a plain re-reading. Pure C++: no Napi, no sockets (the egress batch is discarded, never
// flushed). Input bytes 1 and 3 also choose the ring metadata (VLAN tag, partial checksum) and
// how far the clock moves, so those paths are fuzzed too.
// Build: fuzz/build.sh. Invariant violations call __builtin_trap(), which libFuzzer reports as a
// crash and saves the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checksum.hpp"
#include "egress.hpp"
#include "forward_path.hpp"
#include "frame_parser.hpp"
#include "listener_gates.hpp"
#include "rule_table.hpp"

namespace {

using mcr::BatchTally;
using mcr::CompiledOutput;
using mcr::CompiledRule;
using mcr::EgressBatch;
using mcr::FrameKind;
using mcr::FrameMeta;
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

// An IPv6 address from its 8 groups.
struct Ip6 {
  uint8_t b[16];
};
Ip6 V6(uint16_t g0, uint16_t g1, uint16_t g2, uint16_t g3, uint16_t g4, uint16_t g5, uint16_t g6, uint16_t g7) {
  const uint16_t g[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
  Ip6 a;
  for (int i = 0; i < 8; ++i) {
    a.b[2 * i] = static_cast<uint8_t>(g[i] >> 8);
    a.b[2 * i + 1] = static_cast<uint8_t>(g[i]);
  }
  return a;
}

// The MAC of this host's interface in the fixture (the loop guard's own MAC).
const uint8_t kOwnMac[6] = {0x02, 0, 0, 0, 0, 0x02};

CompiledOutput Output(uint32_t group, uint16_t port, uint8_t ttl, bool multicast, bool ttlSet = false,
                      int ifindex = 2) {
  CompiledOutput o;
  o.interfaceName = "fz0";
  o.ifindex = ifindex;
  o.group = group;
  o.port = port;
  o.ttl = ttl;
  o.ttlSet = ttlSet;
  o.sourceAddress = Ip(10, 9, 8, 7);
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(o.sourceMac, mac, 6);
  o.multicast = multicast;
  mcr::PrepareOutputTemplate(o);
  return o;
}

// mapsPrefix: the output maps a range of that prefix length by offset (0: no mapping).
CompiledOutput Output6(const Ip6& group, uint16_t port, uint8_t ttl, bool multicast, bool ttlSet = false,
                       int ifindex = 2, unsigned mapsPrefix = 0) {
  CompiledOutput o;
  o.interfaceName = "fz0";
  o.ifindex = ifindex;
  o.ipv6 = true;
  std::memcpy(o.group6, group.b, 16);
  o.port = port;
  o.ttl = ttl;
  o.ttlSet = ttlSet;
  const Ip6 source = V6(0xfd00, 0, 0, 2, 0, 0, 0, 1);
  std::memcpy(o.sourceAddress6, source.b, 16);
  const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(o.sourceMac, mac, 6);
  o.multicast = multicast;
  if (mapsPrefix != 0) {
    o.mapsRange = true;
    o.hostMask = ~mcr::PrefixMask(mapsPrefix);
  }
  mcr::PrepareOutputTemplate(o);
  return o;
}

// An IPv4 output mapping a /prefix range by offset.
CompiledOutput MappedOutput(uint32_t group, uint16_t port, unsigned prefix) {
  CompiledOutput o = Output(group, port, 8, true);
  o.mapsRange = true;
  o.hostMask = mcr::Address128{0, ~mcr::PrefixMask(96 + prefix).lo & 0xffffffffu};
  return o;
}

CompiledRule Rule(const char* id, uint32_t group, uint16_t port, bool hasSource, uint32_t source,
                  std::vector<CompiledOutput> outputs, int32_t vlan = -1, uint32_t maxPps = 0,
                  unsigned prefixLength = 32) {
  CompiledRule r;
  r.id = id;
  r.group = group;
  r.port = port;
  r.hasSource = hasSource;
  r.source = source;
  r.vlan = vlan;
  r.maxPps = maxPps;
  r.prefixLength = prefixLength;
  r.outputs = std::move(outputs);
  return r;
}

CompiledRule Rule6(const char* id, const Ip6& group, uint16_t port, bool hasSource, const Ip6& source,
                   std::vector<CompiledOutput> outputs, int32_t vlan = -1, unsigned prefixLength = 128) {
  CompiledRule r;
  r.id = id;
  r.ipv6 = true;
  std::memcpy(r.group6, group.b, 16);
  std::memcpy(r.source6, source.b, 16);
  r.port = port;
  r.hasSource = hasSource;
  r.vlan = vlan;
  r.prefixLength = prefixLength;
  r.outputs = std::move(outputs);
  return r;
}

// A listener gate as the reference reads it: addresses as bytes in network order (4 or 16), scanned
// one by one.
struct RefGate {
  std::vector<uint8_t> group;
  bool include = false;
  std::vector<std::vector<uint8_t>> sources;
};

std::vector<uint8_t> Bytes(uint32_t ipv4) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(&ipv4);
  return {b, b + 4};
}
std::vector<uint8_t> Bytes(const Ip6& ipv6) { return {ipv6.b, ipv6.b + 16}; }

// The bytes validate.ts's encodeListeners writes for `gates`.
std::vector<uint8_t> Encode(const std::vector<RefGate>& gates) {
  std::vector<uint8_t> bytes;
  for (const RefGate& g : gates) {
    bytes.insert(bytes.end(), g.group.begin(), g.group.end());
    bytes.push_back(g.include ? 1 : 0);
    bytes.push_back(static_cast<uint8_t>(g.sources.size() >> 8));
    bytes.push_back(static_cast<uint8_t>(g.sources.size()));
    for (const auto& source : g.sources) bytes.insert(bytes.end(), source.begin(), source.end());
  }
  return bytes;
}

// Whether the reference gates let a frame from `source` to `destination` (both `length` bytes) out:
// -1 when two gates name the destination (encodeListeners never writes that; the answer is then
// the sort's pick).
int RefAdmits(const std::vector<RefGate>& gates, const uint8_t* destination, const uint8_t* source, size_t length) {
  const RefGate* found = nullptr;
  for (const RefGate& g : gates) {
    if (g.group.size() != length || std::memcmp(g.group.data(), destination, length) != 0) continue;
    if (found != nullptr) return -1;
    found = &g;
  }
  if (found == nullptr) return 0;
  bool listed = false;
  for (const auto& s : found->sources) listed = listed || std::memcmp(s.data(), source, length) == 0;
  return found->include == listed ? 1 : 0;
}

// 4 bytes (IPv4, in the low 32 bits) or 16, network order, as Address128.
mcr::Address128 Address(const uint8_t* bytes, size_t length) {
  if (length == 16) return mcr::Load6(bytes);
  uint64_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | bytes[i];
  return {0, v};
}

// Same (group, port) with a wildcard and a source-specific rule, a unicast output, a rule with
// more outputs than the egress batch holds, port 0 / 0.0.0.0 edge keys, the same key on VLANs 42
// and 7, a rate-limited rule, 'set' and 'decrement' outputs, an absent output (ifindex 0), and
// gated outputs (exact and offset-mapped, include and exclude, an empty gate list) beside ungated ones.
struct Fixture {
  // The reference gates of each gated output, by (rule id, output index).
  std::map<std::pair<std::string, size_t>, std::vector<RefGate>> gates;
  std::vector<std::unique_ptr<mcr::RuleCounterBlock>> ruleBlocks;
  std::vector<std::unique_ptr<mcr::OutputCounterBlock>> outputBlocks;
  std::unique_ptr<RuleTable> table;
  static constexpr size_t kEgressCapacity = 4;
  EgressBatch egress{kEgressCapacity};
  int64_t clockNs = 0;

  Fixture() {
    std::vector<CompiledRule> rules;
    const uint32_t g1 = Ip(239, 1, 1, 1);
    rules.push_back(Rule("wild", g1, 5001, false, 0,
                         {Output(Ip(239, 2, 2, 2), 6001, 4, true), Output(Ip(239, 2, 2, 3), 6001, 9, true, false, 0),
                          Output(Ip(239, 2, 2, 4), 6001, 8, true)}));
    rules.push_back(Rule("ssm", g1, 5001, true, Ip(10, 1, 2, 3),
                         {Output(Ip(239, 3, 3, 3), 6002, 1, true, true), Output(Ip(10, 0, 0, 9), 6003, 64, false)}));
    rules.push_back(Rule("ssm-only", Ip(232, 0, 0, 1), 1234, true, Ip(192, 168, 0, 1),
                         {Output(Ip(224, 0, 0, 251), 5353, 255, true)}));
    std::vector<CompiledOutput> many;
    for (int i = 0; i < 6; ++i) {
      many.push_back(Output(Ip(239, 255, 0, static_cast<uint8_t>(i)), 7000, 2, true, i % 2 == 0));
    }
    rules.push_back(Rule("wide", Ip(239, 255, 255, 250), 1900, false, 0, std::move(many)));
    rules.push_back(Rule("zero", 0, 0, false, 0, {Output(Ip(239, 0, 0, 0), 0, 1, true)}));  // ttl >= 1, as validated
    rules.push_back(Rule("max", Ip(255, 255, 255, 255), 65535, false, 0, {Output(Ip(239, 127, 255, 255), 65535, 1, true)}));
    rules.push_back(Rule("vlan42", g1, 5001, false, 0, {Output(Ip(239, 42, 0, 1), 6042, 8, true)}, 42));
    rules.push_back(Rule("vlan7", g1, 5001, false, 0, {Output(Ip(239, 7, 0, 1), 6007, 8, true, true)}, 7, 1));
    rules.push_back(Rule("limited", Ip(239, 5, 5, 5), 5005, false, 0, {Output(Ip(239, 6, 6, 6), 6006, 16, true)}, -1, 25));
    // IPv4 ranges: a /16 mapped by offset (239.1.1.1 itself stays with the exact rules), a wider
    // /8 to one group, a source-specific /16 beside the wildcard one.
    rules.push_back(Rule("range16", Ip(239, 1, 0, 0), 5001, false, 0, {MappedOutput(Ip(239, 9, 0, 0), 6016, 16)}, -1, 0, 16));
    rules.push_back(Rule("range16-ssm", Ip(239, 1, 0, 0), 5001, true, Ip(10, 7, 7, 7), {Output(Ip(239, 16, 0, 1), 6017, 8, true)}, -1, 0, 16));
    rules.push_back(Rule("range8", Ip(239, 0, 0, 0), 5001, false, 0, {Output(Ip(239, 8, 0, 1), 6008, 8, true)}, -1, 0, 8));
    // IPv6: exact wildcard and source-specific rules, VLAN, unicast and absent outputs, a /112
    // mapped by offset, a /64 and a /16 to one group each (nested: the longest prefix wins).
    const Ip6 g6 = V6(0xff3e, 0, 0, 0, 0, 0, 1, 2);
    const Ip6 any6 = V6(0, 0, 0, 0, 0, 0, 0, 0);
    const Ip6 src6 = V6(0xfd00, 0, 0, 1, 0, 0, 0, 1);
    rules.push_back(Rule6("wild6", g6, 5001, false, any6,
                          {Output6(V6(0xff3e, 0, 0, 0, 0, 0, 9, 2), 6001, 4, true), Output6(V6(0xff3e, 0, 0, 0, 0, 0, 9, 3), 6001, 9, true, false, 0),
                           Output6(V6(0xff3e, 0, 0, 0, 0, 0, 9, 4), 6001, 8, true)}));
    rules.push_back(Rule6("ssm6", g6, 5001, true, src6,
                          {Output6(V6(0xff05, 0, 0, 0, 0, 0, 0, 0xfb), 5353, 1, true, true), Output6(V6(0xfd00, 0, 0, 2, 0, 0, 0, 2), 6003, 64, false)}));
    rules.push_back(Rule6("vlan6", g6, 5001, false, any6, {Output6(V6(0xff3e, 0, 0, 0, 0, 0, 0x42, 1), 6042, 8, true)}, 42));
    rules.push_back(Rule6("range6-112", V6(0xff3e, 0, 0, 0, 0, 0, 1, 0), 5001, false, any6,
                          {Output6(V6(0xff3e, 0, 0, 0, 0, 0, 9, 0), 6112, 8, true, false, 2, 112)}, -1, 112));
    rules.push_back(Rule6("range6-64", V6(0xff3e, 0, 0, 0, 0, 0, 0, 0), 5001, false, any6,
                          {Output6(V6(0xff3e, 0, 0, 0, 0, 0, 0x64, 1), 6064, 8, true)}, -1, 64));
    rules.push_back(Rule6("range6-16", V6(0xff3e, 0, 0, 0, 0, 0, 0, 0), 5001, false, any6,
                          {Output6(V6(0xff3e, 0, 0, 0, 0, 0, 0x16, 1), 6016, 8, true, true)}, -1, 16));
    // Gates, on sources the seeds carry: 10.1.2.3 and fd00:0:0:1::1 (the defaults), 10.7.7.7, fd00::7.
    const Ip6 other6 = V6(0xfd00, 0, 0, 0, 0, 0, 0, 7);
    gates[{"wild", 2}] = {{Bytes(Ip(239, 2, 2, 4)), true, {Bytes(Ip(10, 7, 7, 7)), Bytes(Ip(10, 0, 0, 1))}}};
    gates[{"wide", 1}] = {};
    gates[{"wide", 3}] = {{Bytes(Ip(239, 255, 0, 3)), false, {Bytes(Ip(10, 1, 2, 3))}}};
    gates[{"range16", 0}] = {{Bytes(Ip(239, 9, 200, 3)), true, {Bytes(Ip(10, 1, 2, 3))}},
                             {Bytes(Ip(239, 9, 0, 9)), false, {}},
                             {Bytes(Ip(239, 9, 255, 255)), true, {}},
                             {Bytes(Ip(239, 9, 1, 2)), false, {Bytes(Ip(10, 7, 7, 7)), Bytes(Ip(10, 1, 2, 3))}}};
    gates[{"wild6", 2}] = {{Bytes(V6(0xff3e, 0, 0, 0, 0, 0, 9, 4)), true, {Bytes(other6)}}};
    gates[{"range6-112", 0}] = {{Bytes(V6(0xff3e, 0, 0, 0, 0, 0, 9, 0x77)), false, {Bytes(src6)}},
                                {Bytes(V6(0xff3e, 0, 0, 0, 0, 0, 9, 5)), true, {Bytes(other6), Bytes(src6)}}};
    for (CompiledRule& rule : rules) {
      for (size_t k = 0; k < rule.outputs.size(); ++k) {
        auto it = gates.find({rule.id, k});
        if (it == gates.end()) continue;
        const std::vector<uint8_t> bytes = Encode(it->second);
        CHECK(rule.outputs[k].listeners.Decode(bytes.data(), bytes.size(), rule.ipv6 ? 16 : 4));
      }
    }
    for (CompiledRule& rule : rules) {
      ruleBlocks.push_back(std::make_unique<mcr::RuleCounterBlock>());
      rule.counters = ruleBlocks.back().get();
      for (CompiledOutput& output : rule.outputs) {
        outputBlocks.push_back(std::make_unique<mcr::OutputCounterBlock>());
        output.counters = outputBlocks.back().get();
      }
    }
    table = std::make_unique<RuleTable>(std::move(rules), 1, std::vector<uint64_t>{mcr::MacKey(kOwnMac)});
  }
};

// Does `group` (4 or 16 bytes, network order) lie in the rule's range? Bit by bit, independent of
// Address128.
bool InRange(const CompiledRule& r, const uint8_t* group) {
  const uint8_t* base = r.ipv6 ? r.group6 : reinterpret_cast<const uint8_t*>(&r.group);
  for (unsigned bit = 0; bit < r.prefixLength; ++bit) {
    const int shift = 7 - static_cast<int>(bit % 8);
    if (((base[bit / 8] >> shift) & 1) != ((group[bit / 8] >> shift) & 1)) return false;
  }
  return true;
}

// Reference lookup: linear scans. Exact rules first (source-specific before wildcard), then the
// longest matching range (source-specific before wildcard at equal length).
const CompiledRule* SlowLookup(const RuleTable& table, const ParsedFrame& p, int32_t vlan) {
  const uint8_t* group = p.ipv6 ? p.group6 : reinterpret_cast<const uint8_t*>(&p.group);
  const uint8_t* source = p.ipv6 ? p.source6 : reinterpret_cast<const uint8_t*>(&p.source);
  const size_t bytes = p.ipv6 ? 16 : 4;
  const CompiledRule* wildcard = nullptr;
  for (const CompiledRule& r : table.rules()) {
    if (r.ipv6 != p.ipv6 || r.isRange() || r.port != p.port || r.vlan != vlan || !InRange(r, group)) continue;
    const uint8_t* rs = r.ipv6 ? r.source6 : reinterpret_cast<const uint8_t*>(&r.source);
    if (r.hasSource && std::memcmp(rs, source, bytes) == 0) return &r;
    if (!r.hasSource && wildcard == nullptr) wildcard = &r;
  }
  if (wildcard != nullptr) return wildcard;
  const CompiledRule* best = nullptr;
  for (const CompiledRule& r : table.rules()) {
    if (r.ipv6 != p.ipv6 || !r.isRange() || r.port != p.port || r.vlan != vlan || !InRange(r, group)) continue;
    const uint8_t* rs = r.ipv6 ? r.source6 : reinterpret_cast<const uint8_t*>(&r.source);
    if (r.hasSource && std::memcmp(rs, source, bytes) != 0) continue;
    if (best == nullptr || r.prefixLength > best->prefixLength ||
        (r.prefixLength == best->prefixLength && r.hasSource && !best->hasSource)) {
      best = &r;
    }
  }
  return best;
}

// Independent re-reading of an IPv6 frame the parser calls UDP: the walk over option headers
// (each within the packet), the UDP header right after them, addresses, hop limit, lengths.
void CheckUdp6(const uint8_t* data, size_t size, const ParsedFrame& p, bool checksumPartial) {
  const uint8_t* ip = data + p.l3Offset;
  CHECK(Read16(data + p.l3Offset - 2) == 0x86dd && (ip[0] >> 4) == 6);
  const size_t end = 40 + Read16(ip + 4);
  CHECK(p.l3Offset + end <= size);
  size_t offset = 40;
  uint8_t next = ip[6];
  int walked = 0;
  while (next == 0 || next == 60) {
    CHECK(walked < mcr::kMaxIpv6OptionHeaders && (next == 60 || walked == 0));
    CHECK(offset + 8 <= end);
    next = ip[offset];
    offset += (static_cast<size_t>(ip[offset + 1]) + 1) * 8;
    ++walked;
  }
  CHECK(next == 17 && offset + 8 <= end);
  CHECK(p.payloadOffset == p.l3Offset + offset + 8);
  const uint8_t* udp = ip + offset;
  CHECK(p.payloadLength + 8u == Read16(udp + 4));
  CHECK(static_cast<uint64_t>(p.payloadOffset) + p.payloadLength <= p.l3Offset + end);
  CHECK(p.sourcePort == Read16(udp) && p.port == Read16(udp + 2) && p.udpChecksum == Read16(udp + 6));
  CHECK(p.udpChecksum != 0 || checksumPartial);
  CHECK(std::memcmp(p.source6, ip + 8, 16) == 0 && std::memcmp(p.group6, ip + 24, 16) == 0);
  CHECK(p.ttl == ip[7] && p.tos == static_cast<uint8_t>((ip[0] << 4) | (ip[1] >> 4)));
  if (p.payloadLength != 0) {
    volatile uint8_t sink = data[p.payloadOffset];
    sink = data[p.payloadOffset + p.payloadLength - 1];
    (void)sink;
  }
}

// Independent re-reading of the frame for a parse the parser calls UDP.
void CheckUdp(const uint8_t* data, size_t size, const ParsedFrame& p, bool checksumPartial) {
  const bool tagged = size >= 14 && Read16(data + 12) == 0x8100;
  CHECK(p.l3Offset == (tagged ? 18u : 14u));
  CHECK(tagged ? (p.vlan >= 0 && p.vlan <= 0x0fff) : p.vlan == -1);
  if (p.ipv6) return CheckUdp6(data, size, p, checksumPartial);
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
  CHECK(p.sourcePort == Read16(udp) && p.port == Read16(udp + 2) && p.udpChecksum == Read16(udp + 6));
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

// Reference sum, byte by byte (independent of the word-wise one in checksum.hpp).
uint64_t SlowSum(const uint8_t* p, size_t length) {
  uint64_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum += (i % 2 == 0) ? static_cast<uint64_t>(p[i]) << 8 : p[i];
  return sum;
}

// The UDP checksum of a datagram verifies: pseudo-header + UDP header + payload sum to 0xffff.
// Addresses of 4 (IPv4) or 16 (IPv6) bytes; the pseudo-header's length and protocol sum the same.
bool UdpVerifies(const uint8_t* source, const uint8_t* destination, size_t addressBytes, const uint8_t* udp,
                 const uint8_t* payload, size_t payloadLength) {
  const uint64_t sum = SlowSum(source, addressBytes) + SlowSum(destination, addressBytes) + 17u + Read16(udp + 4) +
                       SlowSum(udp, 8) + SlowSum(payload, payloadLength);
  return mcr::Fold(sum) == 0xffff;
}
bool UdpVerifies(uint32_t source, uint32_t destination, const uint8_t* udp, const uint8_t* payload, size_t payloadLength) {
  return UdpVerifies(reinterpret_cast<const uint8_t*>(&source), reinterpret_cast<const uint8_t*>(&destination), 4, udp,
                     payload, payloadLength);
}

// Where an output sends this frame: its group, or (offset mapping) its group with the input
// destination's host bits, computed byte by byte.
void ExpectedDestination(const CompiledOutput& output, const ParsedFrame& p, uint8_t* out) {
  const size_t bytes = output.ipv6 ? 16 : 4;
  std::memcpy(out, output.ipv6 ? output.group6 : reinterpret_cast<const uint8_t*>(&output.group), bytes);
  if (!output.mapsRange) return;
  uint8_t mask[16];
  mcr::Store6(output.hostMask, mask);
  const uint8_t* in = p.ipv6 ? p.group6 : reinterpret_cast<const uint8_t*>(&p.group);
  const uint8_t* m = output.ipv6 ? mask : mask + 12;
  for (size_t i = 0; i < bytes; ++i) {
    CHECK((out[i] & m[i]) == 0);  // the output's base has no host bits
    out[i] |= in[i] & m[i];
  }
}

// A rewritten IPv6 header: 33:33 MAC, version, lengths, next header, hop limit, addresses, and a
// UDP checksum that is right whenever the input's was (never 0).
void CheckRewrite6(const CompiledOutput& output, const ParsedFrame& p, const uint8_t* frame, const FrameMeta& meta,
                   const msghdr& msg) {
  CHECK(msg.msg_iovlen == 2 && msg.msg_iov[0].iov_len == mcr::kHeaderBytes6);
  const uint8_t* header = static_cast<const uint8_t*>(msg.msg_iov[0].iov_base);
  const uint8_t* payload = static_cast<const uint8_t*>(msg.msg_iov[1].iov_base);
  CHECK(payload == frame + p.payloadOffset && msg.msg_iov[1].iov_len == p.payloadLength);
  uint8_t destination[16];
  ExpectedDestination(output, p, destination);
  const uint8_t* ip = header + 14;
  const uint8_t* udp = ip + 40;
  CHECK(header[0] == 0x33 && header[1] == 0x33 && std::memcmp(header + 2, destination + 12, 4) == 0);
  CHECK(Read16(header + 12) == 0x86dd);
  CHECK((ip[0] >> 4) == 6 && ip[6] == 17 && Read16(ip + 4) == 8u + p.payloadLength);
  const uint8_t ttl = output.ttlSet ? output.ttl : (output.ttl < p.ttl - 1 ? output.ttl : static_cast<uint8_t>(p.ttl - 1));
  CHECK(ttl >= 1 && ip[7] == ttl);
  CHECK(std::memcmp(ip + 8, output.sourceAddress6, 16) == 0 && std::memcmp(ip + 24, destination, 16) == 0);
  CHECK(Read16(udp) == p.sourcePort && Read16(udp + 2) == output.port && Read16(udp + 4) == 8u + p.payloadLength);
  CHECK(Read16(udp + 6) != 0);
  const uint8_t* inUdp = frame + p.payloadOffset - 8;
  if (meta.checksumPartial || UdpVerifies(p.source6, p.group6, 16, inUdp, payload, p.payloadLength)) {
    CHECK(UdpVerifies(output.sourceAddress6, destination, 16, udp, payload, p.payloadLength));
  }
}

// A rewritten multicast header as queued: lengths, TTL, an IPv4 checksum that verifies, constant
// fields from the template, and a UDP checksum that is right whenever the input's was.
void CheckRewrite(const CompiledOutput& output, const ParsedFrame& p, const uint8_t* frame, const FrameMeta& meta,
                  const msghdr& msg) {
  CHECK(output.ipv6 == p.ipv6);
  if (output.ipv6) return CheckRewrite6(output, p, frame, meta, msg);
  CHECK(msg.msg_iovlen == 2 && msg.msg_iov[0].iov_len == mcr::kHeaderBytes);
  const uint8_t* header = static_cast<const uint8_t*>(msg.msg_iov[0].iov_base);
  const uint8_t* payload = static_cast<const uint8_t*>(msg.msg_iov[1].iov_base);
  CHECK(payload == frame + p.payloadOffset && msg.msg_iov[1].iov_len == p.payloadLength);
  const uint8_t* ip = header + 14;
  const uint8_t* udp = ip + 20;
  const uint8_t ttl = output.ttlSet ? output.ttl : (output.ttl < p.ttl - 1 ? output.ttl : static_cast<uint8_t>(p.ttl - 1));
  CHECK(ttl >= 1 && ip[8] == ttl);
  CHECK(ip[0] == 0x45 && ip[9] == 17 && ip[1] == p.tos);
  CHECK(Read16(ip + 2) == 28u + p.payloadLength);  // fits 16 bits: the parser bounds the payload
  CHECK(Read16(udp + 4) == 8u + p.payloadLength);
  CHECK(Read16(udp) == p.sourcePort && Read16(udp + 2) == output.port);
  CHECK((ip[6] & 0x40) == (p.dontFragment ? 0x40 : 0) && (Read16(ip + 6) & 0xbfff) == 0);
  uint32_t destination;
  ExpectedDestination(output, p, reinterpret_cast<uint8_t*>(&destination));
  CHECK(std::memcmp(ip + 16, &destination, 4) == 0 && std::memcmp(ip + 12, &output.sourceAddress, 4) == 0);
  const uint8_t* d = ip + 16;
  CHECK(header[0] == 0x01 && header[1] == 0x00 && header[2] == 0x5e && header[3] == (d[1] & 0x7f) &&
        header[4] == d[2] && header[5] == d[3]);
  CHECK(mcr::Fold(SlowSum(ip, 20)) == 0xffff);
  const uint16_t checksum = Read16(udp + 6);
  if (!meta.checksumPartial && p.udpChecksum == 0) {
    CHECK(checksum == 0);  // the input had none: neither has the copy
    return;
  }
  CHECK(checksum != 0);
  const uint8_t* inUdp = frame + p.payloadOffset - 8;
  if (meta.checksumPartial || UdpVerifies(p.source, p.group, inUdp, payload, p.payloadLength)) {
    CHECK(UdpVerifies(output.sourceAddress, destination, udp, payload, p.payloadLength));
  }
}

// The input read as encoded gates (input byte 2 picks the family): Decode accepts exactly whole
// gates, and its two binary searches answer as a scan over a plain re-reading of the bytes, for each
// gate's group against each source named anywhere (and one named nowhere).
void CheckGateDecoding(const uint8_t* data, size_t size) {
  const size_t length = size > 2 && (data[2] & 1) != 0 ? 16 : 4;
  std::vector<RefGate> ref;
  bool whole = true;
  for (size_t offset = 0; offset < size && whole;) {
    if (size - offset < length + 3 || data[offset + length] > 1) {
      whole = false;
      break;
    }
    RefGate g;
    g.group.assign(data + offset, data + offset + length);
    g.include = data[offset + length] == 1;
    const size_t count = static_cast<size_t>(Read16(data + offset + length + 1));
    offset += length + 3;
    if (count * length > size - offset) {
      whole = false;
      break;
    }
    for (size_t k = 0; k < count; ++k, offset += length) g.sources.emplace_back(data + offset, data + offset + length);
    ref.push_back(std::move(g));
  }
  mcr::ListenerGates gates;
  CHECK(gates.Decode(data, size, length) == whole);
  CHECK(gates.enabled() == whole);
  if (!whole) return;
  std::vector<std::vector<uint8_t>> probes{std::vector<uint8_t>(length, 0)};
  for (const RefGate& g : ref) probes.insert(probes.end(), g.sources.begin(), g.sources.end());
  CHECK(gates.gateCount() == ref.size() && gates.sourceCount() == probes.size() - 1);
  if (ref.size() * probes.size() > 4096) return;  // the checks, not the decoding, would dominate
  for (const RefGate& g : ref) {
    for (const auto& source : probes) {
      const int expected = RefAdmits(ref, g.group.data(), source.data(), length);
      if (expected >= 0) CHECK(gates.Admits(Address(g.group.data(), length), Address(source.data(), length)) == (expected == 1));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();  // built once, never freed (as the worker's table)
  const RuleTable& table = *fixture->table;

  // Metadata as the ring would report it, chosen by input bytes (also part of the frame: the
  // destination MAC, which nothing reads).
  FrameMeta meta;
  const uint8_t flags = size > 1 ? data[1] : 0;
  meta.checksumPartial = (flags & 1) != 0;
  if ((flags & 2) != 0) meta.vlan = (flags & 4) != 0 ? 42 : (flags >> 3);  // 0..31: 7 included
  fixture->clockNs += static_cast<int64_t>(size > 3 ? data[3] : 0) * 1000000;  // 0..255 ms per input
  meta.nowNs = fixture->clockNs;

  ParsedFrame parsed;
  mcr::ParseFrame(data, size, parsed, meta.checksumPartial);
  switch (parsed.kind) {
    case FrameKind::Udp: CheckUdp(data, size, parsed, meta.checksumPartial); break;
    case FrameKind::Malformed: CHECK(parsed.reason != nullptr && parsed.reason[0] != '\0'); break;
    case FrameKind::Fragment:
    case FrameKind::NotIp:
    case FrameKind::ExtensionHeader:
    case FrameKind::NotUdp: break;
    default: __builtin_trap();
  }
  if (parsed.kind != FrameKind::Udp) CHECK(parsed.payloadOffset == 0 && parsed.payloadLength == 0);
  if (parsed.kind != FrameKind::Malformed) CHECK(parsed.reason[0] == '\0');

  const bool own = size >= 12 && std::memcmp(data + 6, kOwnMac, 6) == 0;
  CHECK(size < 12 || table.IsOwnMac(data + 6) == own);
  // VLAN 0 (a priority tag) is no VLAN: the metadata's tag unless it is one, else the bytes' unless it is one.
  const int32_t vlan = meta.vlan > 0 ? meta.vlan : parsed.vlan > 0 ? parsed.vlan : -1;
  const CompiledRule* expected = nullptr;
  if (parsed.kind == FrameKind::Udp) {
    const CompiledRule* rule = table.Lookup(parsed, vlan);
    expected = SlowLookup(table, parsed, vlan);
    CHECK(rule == expected);
    CHECK(rule == nullptr || rule->ipv6 == parsed.ipv6);
  }
  if (own) expected = nullptr;  // never relayed
  // IPv6 has no header checksum.
  const bool headerOk = expected != nullptr &&
                        (parsed.ipv6 || mcr::Fold(SlowSum(data + parsed.l3Offset, parsed.payloadOffset - 8 - parsed.l3Offset)) == 0xffff);
  // The word-wise sum agrees with the byte-wise one on every length and alignment the input offers.
  if (size != 0) CHECK(mcr::Fold(mcr::SumBytes(data + 1, size - 1)) == mcr::Fold(SlowSum(data + 1, size - 1)));

  // The shared hot path, as the worker runs it: a half-full batch first (first input byte picks
  // how full), so the "flush and call again" branch is reached too.
  EgressBatch& egress = fixture->egress;
  egress.Discard();
  ParsedFrame dummy;
  const mcr::RewriteValues dummyValues;
  const size_t prefill = size == 0 ? 0 : data[0] % (Fixture::kEgressCapacity + 1);
  const CompiledOutput& filler = table.rules().front().outputs.front();
  for (size_t i = 0; i < prefill; ++i) egress.Queue(filler, dummy, data, dummyValues);
  BatchTally tally;
  ParsedFrame again;
  const uint64_t limitedBefore = expected != nullptr ? expected->counters->rateLimited.load() : 0;
  size_t before = egress.Count();
  if (!mcr::HandleFrame(&table, data, size, meta, again, egress, Fixture::kEgressCapacity, tally)) {
    CHECK(expected != nullptr && before != 0);
    CHECK(before + expected->outputs.size() > Fixture::kEgressCapacity);
    CHECK(tally.framesSeen == 0 && egress.Count() == before);
    egress.Discard();
    before = 0;
    CHECK(mcr::HandleFrame(&table, data, size, meta, again, egress, Fixture::kEgressCapacity, tally));
  }
  CHECK(tally.framesSeen == 1);
  CHECK(tally.matched + tally.noMatch + tally.malformed + tally.fragments + tally.ownFrames + tally.badChecksum +
            tally.extensionHeaders == 1);
  CHECK(tally.ownFrames == (own ? 1u : 0u));
  CHECK(tally.extensionHeaders == (!own && parsed.kind == FrameKind::ExtensionHeader ? 1u : 0u));
  if (!own) {
    CHECK(again.kind == parsed.kind && again.payloadOffset == parsed.payloadOffset &&
          again.payloadLength == parsed.payloadLength);
  }
  CHECK(tally.badChecksum == (expected != nullptr && !headerOk ? 1u : 0u));
  CHECK(tally.matched == (headerOk ? 1u : 0u));
  CHECK(tally.rateLimited <= tally.matched && tally.ttlExpired <= tally.matched);
  CHECK(egress.Count() <= Fixture::kEgressCapacity);
  if (tally.matched == 1) {
    CHECK(expected->counters->rateLimited.load() == limitedBefore + tally.rateLimited);
    if (expected->maxPps == 0) CHECK(tally.rateLimited == 0);
    // What was queued, output by output in the rule's order: absent ones and (for a TTL <= 1
    // input) decrementing ones are skipped, the rest sent until the batch is full.
    size_t slot = before;
    uint64_t absent = 0;
    uint64_t notListened = 0;
    bool expired = false;
    for (size_t k = 0; k < expected->outputs.size(); ++k) {
      const CompiledOutput& output = expected->outputs[k];
      if (tally.rateLimited != 0) break;
      if (output.absent()) {
        ++absent;
        continue;
      }
      const auto gated = fixture->gates.find({expected->id, k});
      CHECK(output.listeners.enabled() == (gated != fixture->gates.end()));
      if (gated != fixture->gates.end()) {
        uint8_t destination[16];
        ExpectedDestination(output, parsed, destination);
        const uint8_t* source = parsed.ipv6 ? parsed.source6 : reinterpret_cast<const uint8_t*>(&parsed.source);
        const int admitted = RefAdmits(gated->second, destination, source, parsed.ipv6 ? 16 : 4);
        CHECK(admitted >= 0);
        if (admitted == 0) {
          ++notListened;
          continue;
        }
      }
      if (!output.ttlSet && parsed.ttl <= 1) {
        expired = true;
        continue;
      }
      if (slot == Fixture::kEgressCapacity) break;
      const msghdr& msg = egress.Message(slot++);
      if (output.multicast) CheckRewrite(output, parsed, data, meta, msg);
    }
    CHECK(slot == egress.Count());
    if (tally.rateLimited == 0) {
      CHECK(tally.outputAbsent == absent && tally.notListened == notListened && tally.ttlExpired == (expired ? 1u : 0u));
    }
  } else {
    CHECK(egress.Count() == before && tally.rateLimited == 0 && tally.ttlExpired == 0 && tally.outputAbsent == 0 &&
          tally.notListened == 0);
  }
  egress.Discard();
  CheckGateDecoding(data, size);
  return 0;
}
