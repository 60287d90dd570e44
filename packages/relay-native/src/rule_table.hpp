// Immutable compiled rule table: built on the JS thread, read by the worker thread without locks.
// Lookup: (group, port, VLAN) through a small open-addressing hash, then the optional source check.
// The table also holds the host's own MACs (loop guard), sorted for a binary search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "counters.hpp"

namespace mcr {

// Bytes of the rewritten Ethernet + IPv4 (no options) + UDP header.
constexpr size_t kHeaderBytes = 42;

struct CompiledOutput {
  std::string interfaceName;
  int ifindex = 0;
  uint32_t group = 0;          // network byte order
  uint16_t port = 0;           // host byte order
  uint8_t ttl = 1;
  bool ttlSet = false;         // ttlMode 'set': ttl whatever the input TTL (loop-unsafe)
  uint32_t sourceAddress = 0;  // network byte order
  uint8_t sourceMac[6] = {0, 0, 0, 0, 0, 0};
  bool multicast = true;       // 224.0.0.0/4: AF_PACKET path; otherwise UDP socket path
  // Filled by the owner (worker) after compile: egress socket and its destination address.
  int fd = -1;
  const sockaddr* address = nullptr;
  socklen_t addressLength = 0;
  // Everything in the header that does not depend on the input packet, and the IPv4 checksum's
  // partial sum over those constant words.
  uint8_t headerTemplate[kHeaderBytes] = {};
  uint32_t checksumBase = 0;
  // The output's share of the UDP checksum: its source and destination address words and its
  // destination port (the words a rewrite changes).
  uint32_t udpTerms = 0;
  OutputCounterBlock* counters = nullptr;

  // ifindex 0: the interface is absent; the output keeps its place and sends nothing.
  bool absent() const { return ifindex == 0; }
};

// One frame costs this much credit in a rule's token bucket; a second refills maxPps frames.
constexpr uint64_t kCreditPerFrame = 1000000000ull;

struct CompiledRule {
  std::string id;
  uint32_t group = 0;   // network byte order
  uint16_t port = 0;    // host byte order
  bool hasSource = false;
  uint32_t source = 0;  // network byte order
  int32_t vlan = -1;    // -1: untagged frames only
  uint32_t maxPps = 0;  // 0: unlimited
  uint64_t burstCredit = 0;  // max(1, maxPps / 10) frames: 100 ms at the rate
  std::vector<CompiledOutput> outputs;
  RuleCounterBlock* counters = nullptr;  // also holds the rule's token bucket
};

// A MAC address as the low 48 bits of an integer, first byte most significant.
inline uint64_t MacKey(const uint8_t* mac) {
  uint64_t key = 0;
  for (int i = 0; i < 6; ++i) key = (key << 8) | mac[i];
  return key;
}

class RuleTable {
 public:
  RuleTable(std::vector<CompiledRule> rules, uint64_t generation, std::vector<uint64_t> ownMacs = {});

  // Returns the rule for this packet or nullptr. Source-specific rules win over a wildcard one.
  // vlan -1: an untagged frame.
  const CompiledRule* Lookup(uint32_t group, uint16_t port, uint32_t source, int32_t vlan) const noexcept;

  // True when `sourceMac` (6 bytes) is one of this host's interfaces: the frame came back.
  bool IsOwnMac(const uint8_t* sourceMac) const noexcept;
  bool checksOwnMacs() const { return !ownMacs_.empty(); }

  const std::vector<CompiledRule>& rules() const { return rules_; }
  std::vector<CompiledRule>& mutableRules() { return rules_; }  // before publication only
  uint64_t generation() const { return generation_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t first = 0;  // into order_
    uint32_t count = 0;  // 0: empty slot
  };
  // 32 + 16 + 13 bits: the VLAN part is vlan + 1 (0 untagged, 1..4096 for ids 0..4095).
  static uint64_t Key(uint32_t group, uint16_t port, int32_t vlan) {
    return (static_cast<uint64_t>(group) << 29) | (static_cast<uint64_t>(port) << 13) |
           static_cast<uint64_t>(vlan + 1);
  }
  static uint64_t KeyOf(const CompiledRule& rule) { return Key(rule.group, rule.port, rule.vlan); }
  size_t SlotOf(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  std::vector<CompiledRule> rules_;
  std::vector<uint32_t> order_;  // rule indices grouped by key, source-specific first
  std::vector<Slot> slots_;
  unsigned shift_ = 61;
  uint64_t generation_;
  std::vector<uint64_t> ownMacs_;  // sorted, unique (MacKey)
};

// Fills the header template and checksum base of an output (no sockets involved).
void PrepareOutputTemplate(CompiledOutput& output);

}  // namespace mcr
