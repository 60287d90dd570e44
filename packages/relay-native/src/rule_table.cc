#include "rule_table.hpp"

#include <algorithm>
#include <cstring>

#include "checksum.hpp"

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

  order_.resize(rules_.size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(), [this](uint32_t a, uint32_t b) {
    const uint64_t ka = KeyOf(rules_[a]);
    const uint64_t kb = KeyOf(rules_[b]);
    if (ka != kb) return ka < kb;
    return rules_[a].hasSource && !rules_[b].hasSource;
  });

  for (size_t i = 0; i < order_.size();) {
    const CompiledRule& rule = rules_[order_[i]];
    const uint64_t key = KeyOf(rule);
    size_t j = i;
    while (j < order_.size() && KeyOf(rules_[order_[j]]) == key) ++j;
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
    if (s.count == 0) return nullptr;
    if (s.key != key) continue;
    for (uint32_t k = 0; k < s.count; ++k) {
      const CompiledRule& rule = rules_[order_[s.first + k]];
      if (!rule.hasSource || rule.source == source) return &rule;
    }
    return nullptr;
  }
}

void PrepareOutputTemplate(CompiledOutput& output) {
  uint8_t* h = output.headerTemplate;
  std::memset(h, 0, kHeaderBytes);
  const uint8_t* group = reinterpret_cast<const uint8_t*>(&output.group);
  // Ethernet: multicast MAC 01:00:5e + low 23 bits of the group. Unicast outputs never use the
  // Ethernet part (the UDP socket path builds its own headers).
  h[0] = 0x01;
  h[1] = 0x00;
  h[2] = 0x5e;
  h[3] = group[1] & 0x7f;
  h[4] = group[2];
  h[5] = group[3];
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
