// Immutable compiled rule table: built on the JS thread, read by the worker thread without locks.
// Lookup: (group, port) through a small open-addressing hash, then the optional source check.
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
  OutputCounterBlock* counters = nullptr;
};

struct CompiledRule {
  std::string id;
  uint32_t group = 0;   // network byte order
  uint16_t port = 0;    // host byte order
  bool hasSource = false;
  uint32_t source = 0;  // network byte order
  std::vector<CompiledOutput> outputs;
  RuleCounterBlock* counters = nullptr;
};

class RuleTable {
 public:
  RuleTable(std::vector<CompiledRule> rules, uint64_t generation);

  // Returns the rule for this packet or nullptr. Source-specific rules win over a wildcard one.
  const CompiledRule* Lookup(uint32_t group, uint16_t port, uint32_t source) const noexcept;

  const std::vector<CompiledRule>& rules() const { return rules_; }
  std::vector<CompiledRule>& mutableRules() { return rules_; }  // before publication only
  uint64_t generation() const { return generation_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t first = 0;  // into order_
    uint32_t count = 0;  // 0: empty slot
  };
  static uint64_t Key(uint32_t group, uint16_t port) {
    return (static_cast<uint64_t>(group) << 16) | port;
  }
  size_t SlotOf(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  std::vector<CompiledRule> rules_;
  std::vector<uint32_t> order_;  // rule indices grouped by key, source-specific first
  std::vector<Slot> slots_;
  unsigned shift_ = 61;
  uint64_t generation_;
};

// Fills the header template and checksum base of an output (no sockets involved).
void PrepareOutputTemplate(CompiledOutput& output);

}  // namespace mcr
