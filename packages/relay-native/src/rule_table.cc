#include "rule_table.hpp"

#include <algorithm>
#include <cstring>

#include "checksum.hpp"
#include "util/multicast_mac.hpp"

namespace mcr {

RuleTable::RuleTable(std::vector<CompiledRule> rules, uint64_t generation, std::vector<uint64_t> ownMacs)
    : rules_(std::move(rules)), generation_(generation), ownMacs_(std::move(ownMacs)) {
  std::sort(ownMacs_.begin(), ownMacs_.end());
  ownMacs_.erase(std::unique(ownMacs_.begin(), ownMacs_.end()), ownMacs_.end());
  for (CompiledRule& rule : rules_) {
    const uint64_t burst = rule.maxPps / 10;
    rule.burstCredit = (burst == 0 ? 1 : burst) * kCreditPerFrame;
  }
  // Power-of-two capacity at least twice the rule count keeps probe chains short.
  size_t capacity = 8;
  unsigned bits = 3;
  while (capacity < rules_.size() * 2) {
    capacity <<= 1;
    ++bits;
  }
  shift_ = 64 - bits;
  slots_.assign(capacity, Slot());

  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const CompiledRule& rule = rules_[i];
    if (!rule.isRange()) {
      order_.push_back(i);
      continue;
    }
    Range range;
    range.mask = rule.mask128();
    range.base = rule.group128() & range.mask;
    range.source = rule.source128();
    range.port = rule.port;
    range.vlan = rule.vlan;
    range.ipv6 = rule.ipv6;
    range.hasSource = rule.hasSource;
    range.rule = i;
    ranges_.push_back(range);
  }
  // Most specific first, so the scan's first hit wins: longer prefix, then source-specific.
  std::stable_sort(ranges_.begin(), ranges_.end(), [this](const Range& a, const Range& b) {
    const unsigned la = rules_[a.rule].prefixLength + (a.ipv6 ? 0 : 96);
    const unsigned lb = rules_[b.rule].prefixLength + (b.ipv6 ? 0 : 96);
    if (la != lb) return la > lb;
    return a.hasSource && !b.hasSource;
  });

  std::stable_sort(order_.begin(), order_.end(), [this](uint32_t a, uint32_t b) {
    const CompiledRule& ra = rules_[a];
    const CompiledRule& rb = rules_[b];
    const uint64_t ka = KeyOf(ra);
    const uint64_t kb = KeyOf(rb);
    if (ka != kb) return ka < kb;
    // IPv6 keys that collide: keep each full key's rules together.
    if (ra.ipv6 && rb.ipv6) {
      const int c = std::memcmp(ra.group6, rb.group6, 16);
      if (c != 0) return c < 0;
      if (ra.port != rb.port) return ra.port < rb.port;
      if (ra.vlan != rb.vlan) return ra.vlan < rb.vlan;
    }
    return ra.hasSource && !rb.hasSource;
  });

  for (size_t i = 0; i < order_.size();) {
    const CompiledRule& rule = rules_[order_[i]];
    const uint64_t key = KeyOf(rule);
    size_t j = i;
    while (j < order_.size() && SameKey(rules_[order_[j]], rule)) ++j;
    size_t slot = SlotOf(key);
    while (slots_[slot].count != 0) slot = (slot + 1) & (capacity - 1);
    slots_[slot] = Slot{key, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i)};
    i = j;
  }
}

bool RuleTable::IsOwnMac(const uint8_t* sourceMac) const noexcept {
  return std::binary_search(ownMacs_.begin(), ownMacs_.end(), MacKey(sourceMac));
}

const CompiledRule* RuleTable::Lookup(uint32_t group, uint16_t port, uint32_t source, int32_t vlan) const noexcept {
  const uint64_t key = Key(group, port, vlan);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = SlotOf(key);; slot = (slot + 1) & mask) {
    const Slot& s = slots_[slot];
    if (s.count == 0) break;
    if (s.key != key) continue;
    for (uint32_t k = 0; k < s.count; ++k) {
      const CompiledRule& rule = rules_[order_[s.first + k]];
      if (!rule.hasSource || rule.source == source) return &rule;
    }
    break;
  }
  return ranges_.empty() ? nullptr : ScanRanges(false, Load4(group), port, Load4(source), vlan);
}

const CompiledRule* RuleTable::Lookup6(const uint8_t* group, uint16_t port, const uint8_t* source,
                                       int32_t vlan) const noexcept {
  const uint64_t key = Key6(group, port, vlan);
  const size_t mask = slots_.size() - 1;
  for (size_t slot = SlotOf(key);; slot = (slot + 1) & mask) {
    const Slot& s = slots_[slot];
    if (s.count == 0) break;
    if (s.key != key) continue;
    const CompiledRule& first = rules_[order_[s.first]];
    if (first.port != port || first.vlan != vlan || std::memcmp(first.group6, group, 16) != 0) continue;
    for (uint32_t k = 0; k < s.count; ++k) {
      const CompiledRule& rule = rules_[order_[s.first + k]];
      if (!rule.hasSource || std::memcmp(rule.source6, source, 16) == 0) return &rule;
    }
    break;
  }
  return ranges_.empty() ? nullptr : ScanRanges(true, Load6(group), port, Load6(source), vlan);
}

const CompiledRule* RuleTable::ScanRanges(bool ipv6, const Address128& group, uint16_t port,
                                          const Address128& source, int32_t vlan) const noexcept {
  for (const Range& range : ranges_) {
    if (range.ipv6 != ipv6 || range.port != port || range.vlan != vlan) continue;
    if ((group & range.mask) != range.base) continue;
    if (range.hasSource && range.source != source) continue;
    return &rules_[range.rule];
  }
  return nullptr;
}

namespace {

// Ethernet 33:33 + low 32 bits of the group (RFC 2464 7), IPv6 with no extension header, UDP.
void PrepareIpv6Template(CompiledOutput& output) {
  uint8_t* h = output.headerTemplate;
  std::memset(h, 0, kHeaderBytes6);
  output.headerBytes = kHeaderBytes6;
  MulticastMac(true, output.group6, h);
  std::memcpy(h + 6, output.sourceMac, 6);
  h[12] = 0x86;
  h[13] = 0xdd;
  uint8_t* ip = h + 14;
  ip[0] = 0x60;  // traffic class and hop limit depend on the input: written per packet
  ip[6] = 17;
  std::memcpy(ip + 8, output.sourceAddress6, 16);
  std::memcpy(ip + 24, output.group6, 16);
  uint8_t* udp = ip + 40;
  udp[2] = static_cast<uint8_t>(output.port >> 8);
  udp[3] = static_cast<uint8_t>(output.port & 0xff);
  output.checksumBase = 0;
  output.udpTerms = static_cast<uint32_t>(SumBytes(output.sourceAddress6, 16) + SumBytes(output.group6, 16) + output.port);
}

}  // namespace

void PrepareOutputTemplate(CompiledOutput& output) {
  if (output.ipv6) return PrepareIpv6Template(output);
  uint8_t* h = output.headerTemplate;
  std::memset(h, 0, kHeaderBytes6);
  output.headerBytes = kHeaderBytes;
  // Ethernet: the group's multicast MAC. Unicast outputs never use the Ethernet part (the UDP socket
  // path builds its own headers).
  MulticastMac(false, reinterpret_cast<const uint8_t*>(&output.group), h);
  std::memcpy(h + 6, output.sourceMac, 6);
  h[12] = 0x08;
  h[13] = 0x00;
  // IPv4, no options.
  uint8_t* ip = h + 14;
  ip[0] = 0x45;
  ip[9] = 17;  // the TTL depends on the input's (ttlMode 'decrement'): written per packet
  std::memcpy(ip + 12, &output.sourceAddress, 4);
  std::memcpy(ip + 16, &output.group, 4);
  // UDP destination port.
  uint8_t* udp = ip + 20;
  udp[2] = static_cast<uint8_t>(output.port >> 8);
  udp[3] = static_cast<uint8_t>(output.port & 0xff);
  // Checksum base over the constant 16-bit words (version/IHL word without TOS, protocol without
  // TTL, addresses); the per-packet words are added at rewrite time.
  uint32_t sum = 0;
  sum += 0x4500;
  sum += 17;
  for (int i = 12; i < 20; i += 2) sum += (static_cast<uint32_t>(ip[i]) << 8) | ip[i + 1];
  output.checksumBase = sum;
  output.udpTerms = SumAddress(output.sourceAddress) + SumAddress(output.group) + output.port;
}

}  // namespace mcr
