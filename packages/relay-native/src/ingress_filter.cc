#include "ingress_filter.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace mcr {
namespace {

constexpr uint32_t kAccept = 0xffffffffu;  // the whole frame (the ring slot bounds the copy)
constexpr uint32_t kDrop = 0;
constexpr uint32_t kEthTypeIpv4 = 0x0800;
constexpr uint32_t kEthTypeVlan = 0x8100;
constexpr uint32_t kVlanKeySlot = 0;  // scratch M[0]: the frame's VLAN as id + 1, 0 untagged

class Program {
 public:
  void Op(uint16_t code, uint32_t k) { code_.push_back(BPF_STMT(code, k)); }
  void Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { code_.push_back(BPF_JUMP(code, k, jt, jf)); }
  // Continue when A == k, else drop.
  void RequireEqual(uint32_t k) {
    Jump(BPF_JMP | BPF_JEQ | BPF_K, k, 1, 0);
    Op(BPF_RET | BPF_K, kDrop);
  }
  size_t Size() const { return code_.size(); }
  sock_filter& At(size_t i) { return code_[i]; }
  std::vector<sock_filter> Take() { return std::move(code_); }

 private:
  std::vector<sock_filter> code_;
};

// M[0] = the frame's VLAN key; A = the ethertype after the tag (if any).
void EmitVlanKey(Program& p, bool inFrameTag) {
  if (inFrameTag) {
    p.Op(BPF_LD | BPF_H | BPF_ABS, 14);
    p.Op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
    p.Op(BPF_ALU | BPF_ADD | BPF_K, 1);
  } else {
    p.Op(BPF_LD | BPF_IMM, 0);
  }
  p.Op(BPF_ST, kVlanKeySlot);
  // A tag in metadata is the frame's (the kernel took it out of the bytes); with two tags it is
  // the outer one.
  p.Op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0);
  p.Op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG);
  p.Op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
  p.Op(BPF_ALU | BPF_ADD | BPF_K, 1);
  p.Op(BPF_ST, kVlanKeySlot);
  p.Op(BPF_LD | BPF_H | BPF_ABS, inFrameTag ? 16 : 12);
}

// IPv4 at `l3`: UDP, not a fragment, to 224.0.0.0/4, then (exact) one of the keys. Ends in a ret.
void EmitIpv4(Program& p, uint32_t l3, const std::vector<FilterKey>* keys) {
  p.Op(BPF_LD | BPF_B | BPF_ABS, l3);
  p.Op(BPF_ALU | BPF_AND | BPF_K, 0xf0);
  p.RequireEqual(0x40);
  p.Op(BPF_LD | BPF_B | BPF_ABS, l3 + 9);
  p.RequireEqual(17);
  // MF set or a non-zero offset: the loop relays no fragment.
  p.Op(BPF_LD | BPF_H | BPF_ABS, l3 + 6);
  p.Jump(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 1);
  p.Op(BPF_RET | BPF_K, kDrop);
  p.Op(BPF_LD | BPF_W | BPF_ABS, l3 + 16);
  p.Op(BPF_ALU | BPF_AND | BPF_K, 0xf0000000u);
  p.RequireEqual(0xe0000000u);
  if (keys == nullptr) {
    p.Op(BPF_RET | BPF_K, kAccept);
    return;
  }
  p.Op(BPF_LDX | BPF_B | BPF_MSH, l3);  // X = IHL * 4
  for (const FilterKey& key : *keys) {
    p.Op(BPF_LD | BPF_W | BPF_ABS, l3 + 16);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, key.group, 0, 5);
    p.Op(BPF_LD | BPF_H | BPF_IND, l3 + 2);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, key.port, 0, 3);
    p.Op(BPF_LD | BPF_MEM, kVlanKeySlot);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(key.vlan + 1), 0, 1);
    p.Op(BPF_RET | BPF_K, kAccept);
  }
  p.Op(BPF_RET | BPF_K, kDrop);
}

// One L3 layout: the VLAN key, then a branch per network protocol.
void EmitLayout(Program& p, bool inFrameTag, const std::vector<FilterKey>* keys) {
  EmitVlanKey(p, inFrameTag);
  // An IPv6 branch goes here: jeq #0x86dd to its own EmitIpv6 block.
  p.RequireEqual(kEthTypeIpv4);
  EmitIpv4(p, inFrameTag ? 18 : 14, keys);
}

}  // namespace

std::vector<FilterKey> FilterKeysOf(const std::vector<CompiledRule>& rules) {
  std::vector<FilterKey> keys;
  keys.reserve(rules.size());
  for (const CompiledRule& rule : rules) keys.push_back({ntohl(rule.group), rule.port, rule.vlan});
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<sock_filter> BuildIngressFilter(const std::vector<FilterKey>& keys) {
  const bool exact = !keys.empty() && keys.size() <= kMaxExactFilterKeys;
  const std::vector<FilterKey>* list = exact ? &keys : nullptr;
  Program p;
  p.Op(BPF_LD | BPF_H | BPF_ABS, 12);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, kEthTypeVlan, 0, 1);
  const size_t toTagged = p.Size();
  p.Op(BPF_JMP | BPF_JA, 0);  // patched below: the untagged layout may be longer than a jt reach
  EmitLayout(p, false, list);
  p.At(toTagged).k = static_cast<uint32_t>(p.Size() - toTagged - 1);
  EmitLayout(p, true, list);
  return p.Take();
}

}  // namespace mcr
