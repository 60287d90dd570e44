// Immutable compiled rule table: built on the JS thread, read by the worker thread without locks.
// Lookup, for either family: exact rules by (group, port, VLAN) through a small open-addressing
// hash, then the optional source check; when no exact rule matches, a linear scan over the range
// rules (at most NATIVE_LIMITS.maxRangeRulesPerTable), longest prefix first, source-specific before
// wildcard at equal prefixes. The table also holds the host's own MACs (loop guard), sorted for a
// binary search.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "counters.hpp"
#include "frame_parser.hpp"
#include "ip_address.hpp"
#include "listener_gates.hpp"

namespace mcr {

// Bytes of the rewritten Ethernet + IPv4 (no options) + UDP header, and of Ethernet + IPv6 (no
// extension headers) + UDP.
constexpr size_t kHeaderBytes = 42;
constexpr size_t kHeaderBytes6 = 62;

struct CompiledOutput {
  std::string interfaceName;
  int ifindex = 0;
  bool ipv6 = false;           // group6/sourceAddress6 hold the addresses
  uint32_t group = 0;          // IPv4, network byte order
  uint16_t port = 0;           // host byte order
  uint8_t ttl = 1;
  bool ttlSet = false;         // ttlMode 'set': ttl whatever the input TTL (loop-unsafe)
  uint32_t sourceAddress = 0;  // IPv4, network byte order
  uint8_t group6[16] = {};     // IPv6, network byte order
  uint8_t sourceAddress6[16] = {};
  uint8_t sourceMac[6] = {0, 0, 0, 0, 0, 0};
  bool multicast = true;       // 224.0.0.0/4 or ff00::/8: AF_PACKET path; otherwise UDP socket path
  // Offset mapping (a range rule's output with the rule's prefix length): the destination is the
  // group with the input destination's host bits (hostMask, as Address128) or'ed in.
  bool mapsRange = false;
  Address128 hostMask;
  size_t headerBytes = kHeaderBytes;  // kHeaderBytes6 for IPv6
  // Receiver-driven sending (OutputSpec.listeners); not enabled(): every frame goes out.
  ListenerGates listeners;
  // Filled by the owner (worker) after compile: egress socket and its destination address.
  int fd = -1;
  const sockaddr* address = nullptr;
  socklen_t addressLength = 0;
  // Everything in the header that does not depend on the input packet, and the IPv4 checksum's
  // partial sum over those constant words.
  uint8_t headerTemplate[kHeaderBytes6] = {};
  uint32_t checksumBase = 0;  // IPv4 only (IPv6 has no header checksum)
  // The output's share of the UDP checksum: its source and destination address words and its
  // destination port (the words a rewrite changes).
  uint32_t udpTerms = 0;
  OutputCounterBlock* counters = nullptr;

  // ifindex 0: the interface is absent; the output keeps its place and sends nothing.
  bool absent() const { return ifindex == 0; }
  // The group (the base of an offset-mapped range) as Address128.
  Address128 group128() const { return ipv6 ? Load6(group6) : Load4(group); }
};

// One frame costs this much credit in a rule's token bucket; a second refills maxPps frames.
constexpr uint64_t kCreditPerFrame = 1000000000ull;

struct CompiledRule {
  std::string id;
  bool ipv6 = false;
  uint32_t group = 0;   // IPv4, network byte order (the base of a range)
  uint16_t port = 0;    // host byte order
  bool hasSource = false;
  uint32_t source = 0;  // IPv4, network byte order
  uint8_t group6[16] = {};   // IPv6, network byte order
  uint8_t source6[16] = {};
  unsigned prefixLength = 32;  // 32 (IPv4) / 128 (IPv6): an exact rule; shorter: a range rule
  int32_t vlan = -1;    // -1: untagged frames only
  uint32_t maxPps = 0;  // 0: unlimited
  uint64_t burstCredit = 0;  // max(1, maxPps / 10) frames: 100 ms at the rate
  std::vector<CompiledOutput> outputs;
  RuleCounterBlock* counters = nullptr;  // also holds the rule's token bucket

  bool isRange() const { return prefixLength < (ipv6 ? 128u : 32u); }
  // The group (range base) and source as Address128, and the range's mask.
  Address128 group128() const { return ipv6 ? Load6(group6) : Load4(group); }
  Address128 source128() const { return ipv6 ? Load6(source6) : Load4(source); }
  Address128 mask128() const { return PrefixMask(ipv6 ? prefixLength : prefixLength + 96); }
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

  // Returns the rule for this IPv4 packet or nullptr: an exact rule (source-specific before
  // wildcard), else the most specific range rule. vlan -1: an untagged frame.
  const CompiledRule* Lookup(uint32_t group, uint16_t port, uint32_t source, int32_t vlan) const noexcept;
  // The same for an IPv6 packet (addresses 16 bytes, network order).
  const CompiledRule* Lookup6(const uint8_t* group, uint16_t port, const uint8_t* source, int32_t vlan) const noexcept;
  // The parsed frame's family and addresses.
  const CompiledRule* Lookup(const ParsedFrame& parsed, int32_t vlan) const noexcept {
    return parsed.ipv6 ? Lookup6(parsed.group6, parsed.port, parsed.source6, vlan)
                       : Lookup(parsed.group, parsed.port, parsed.source, vlan);
  }

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
  // A range rule as the scan reads it (in rangeOrder_: longest prefix first, source-specific first).
  struct Range {
    Address128 base;
    Address128 mask;
    Address128 source;
    uint16_t port = 0;
    int32_t vlan = -1;
    bool ipv6 = false;
    bool hasSource = false;
    uint32_t rule = 0;  // into rules_
  };
  // IPv4: 32 + 16 + 13 bits, one-to-one (the VLAN part is vlan + 1: 0 untagged, 1..4096 for ids
  // 0..4095). IPv6: a hash of group, port and VLAN with the top bit set, so the families never
  // share a key; two IPv6 keys may collide, so their slots are confirmed against the rule.
  static uint64_t Key(uint32_t group, uint16_t port, int32_t vlan) {
    return (static_cast<uint64_t>(group) << 29) | (static_cast<uint64_t>(port) << 13) |
           static_cast<uint64_t>(vlan + 1);
  }
  static uint64_t Key6(const uint8_t* group, uint16_t port, int32_t vlan) {
    const Address128 g = Load6(group);
    uint64_t h = g.hi * 0x9E3779B97F4A7C15ull;
    h ^= (g.lo + (static_cast<uint64_t>(port) << 16) + static_cast<uint64_t>(vlan + 1)) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return h | (1ull << 63);
  }
  static uint64_t KeyOf(const CompiledRule& rule) {
    return rule.ipv6 ? Key6(rule.group6, rule.port, rule.vlan) : Key(rule.group, rule.port, rule.vlan);
  }
  // Same exact key (family, group, port, VLAN), beyond the 64-bit one.
  static bool SameKey(const CompiledRule& a, const CompiledRule& b) {
    return a.ipv6 == b.ipv6 && a.port == b.port && a.vlan == b.vlan &&
           (a.ipv6 ? std::memcmp(a.group6, b.group6, 16) == 0 : a.group == b.group);
  }
  size_t SlotOf(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  const CompiledRule* ScanRanges(bool ipv6, const Address128& group, uint16_t port, const Address128& source,
                                 int32_t vlan) const noexcept;

  std::vector<CompiledRule> rules_;
  std::vector<uint32_t> order_;  // exact rule indices grouped by key, source-specific first
  std::vector<Slot> slots_;
  std::vector<Range> ranges_;
  unsigned shift_ = 61;
  uint64_t generation_;
  std::vector<uint64_t> ownMacs_;  // sorted, unique (MacKey)
};

// Fills the header template and checksum base of an output (no sockets involved).
void PrepareOutputTemplate(CompiledOutput& output);

}  // namespace mcr
