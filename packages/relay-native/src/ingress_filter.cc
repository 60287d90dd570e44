#include "ingress_filter.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>

#include <algorithm>

namespace mcr {
namespace {

constexpr uint32_t kAccept = 0xffffffffu;  // the whole frame (the ring slot bounds the copy)
constexpr uint32_t kDrop = 0;
constexpr uint32_t kEthTypeIpv4 = 0x0800;
constexpr uint32_t kEthTypeVlan = 0x8100;
constexpr uint32_t kEthTypeIpv6 = 0x86dd;
// IPv6 next headers that enter the ring: UDP, and the extension headers the loop walks or counts
// (Hop-by-Hop, Routing, Fragment, ESP, AH, Destination Options, Mobility, HIP, Shim6, 253, 254).
constexpr uint32_t kIpv6NextHeaders[] = {17, 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254};
constexpr uint32_t kVlanKeySlot = 0;  // scratch M[0]: the frame's VLAN id, 0 for none (VLAN 0 is a priority tag)
constexpr uint32_t kIpv4HeaderBytes = 20;
constexpr uint32_t kEthHeaderBytes = 14;

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
  void Append(const sock_filter& op) { code_.push_back(op); }
  sock_filter& At(size_t i) { return code_[i]; }
  std::vector<sock_filter> Take() { return std::move(code_); }

 private:
  std::vector<sock_filter> code_;
};

// M[0] = the frame's VLAN key; A = the ethertype after the tag (if any). As FrameVlan
// (forward_path.hpp): the tag in metadata, else the one in the frame, a priority tag (VLAN 0) counting
// as none.
void EmitVlanKey(Program& p, bool inFrameTag) {
  if (inFrameTag) {
    p.Op(BPF_LD | BPF_H | BPF_ABS, 14);
    p.Op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
  } else {
    p.Op(BPF_LD | BPF_IMM, 0);
  }
  p.Op(BPF_ST, kVlanKeySlot);
  // A tag in metadata is the frame's (the kernel took it out of the bytes); with two tags it is
  // the outer one, unless that one is a priority tag.
  p.Op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0);
  p.Op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG);
  p.Op(BPF_ALU | BPF_AND | BPF_K, 0x0fff);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
  p.Op(BPF_ST, kVlanKeySlot);
  p.Op(BPF_LD | BPF_H | BPF_ABS, inFrameTag ? 16 : 12);
}

// A frame of a fast-path key (untagged bytes, X = IHL * 4): dropped when the tc program rewrites it in
// place (InPlaceLayout: a 20-byte header, the reserved flag clear (fragments are gone already), the IP
// length that of the frame, the UDP length that of the IP payload), else accepted. kLeaveInPlaceLength
// instructions (the jumps over it count them), each path a ret, so the X it overwrites is not needed again.
constexpr uint8_t kLeaveInPlaceLength = 18;
void EmitLeaveInPlace(Program& p, uint32_t l3) {
  p.Op(BPF_MISC | BPF_TXA, 0);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, kIpv4HeaderBytes, 1, 0);
  p.Op(BPF_RET | BPF_K, kAccept);  // IP options
  p.Op(BPF_LD | BPF_H | BPF_ABS, l3 + 6);
  p.Jump(BPF_JMP | BPF_JSET | BPF_K, 0x8000, 5, 0);  // the reserved flag: to the accept below
  p.Op(BPF_LD | BPF_H | BPF_ABS, l3 + 2);            // IP total length
  p.Op(BPF_MISC | BPF_TAX, 0);
  p.Op(BPF_LD | BPF_W | BPF_LEN, 0);                 // the frame, Ethernet header included
  p.Op(BPF_ALU | BPF_SUB | BPF_K, kEthHeaderBytes);
  // Padding after the IP packet, or a UDP length short of it: the packet engine's.
  p.Jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0);
  p.Op(BPF_RET | BPF_K, kAccept);
  p.Op(BPF_LD | BPF_H | BPF_ABS, l3 + kIpv4HeaderBytes + 4);  // UDP length
  p.Jump(BPF_JMP | BPF_JGE | BPF_K, 8, 1, 0);                // shorter than its header: malformed, counted there
  p.Op(BPF_RET | BPF_K, kAccept);
  p.Op(BPF_ALU | BPF_ADD | BPF_K, kIpv4HeaderBytes);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0);
  p.Op(BPF_RET | BPF_K, kAccept);
  p.Op(BPF_RET | BPF_K, kDrop);
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
    // Untagged bytes only: a tag in the frame is never a layout the program rewrites in place.
    const bool leaveInPlace = key.fastPath && l3 == kEthHeaderBytes;
    const uint8_t past = leaveInPlace ? 4 + kLeaveInPlaceLength : 5;  // instructions after the group test up to the next key
    p.Op(BPF_LD | BPF_W | BPF_ABS, l3 + 16);
    if (key.mask != 0xffffffffu) p.Op(BPF_ALU | BPF_AND | BPF_K, key.mask);  // a range: compare the prefix
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, key.group, 0, past);
    p.Op(BPF_LD | BPF_H | BPF_IND, l3 + 2);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, key.port, 0, static_cast<uint8_t>(past - 2));
    p.Op(BPF_LD | BPF_MEM, kVlanKeySlot);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(key.vlan < 0 ? 0 : key.vlan), 0, static_cast<uint8_t>(past - 4));
    if (leaveInPlace) EmitLeaveInPlace(p, l3);
    else p.Op(BPF_RET | BPF_K, kAccept);
  }
  p.Op(BPF_RET | BPF_K, kDrop);
}

// IPv6 at `l3`: destination in ff00::/8, next header UDP or an extension header. Ends in a ret.
void EmitIpv6(Program& p, uint32_t l3) {
  p.Op(BPF_LD | BPF_B | BPF_ABS, l3);
  p.Op(BPF_ALU | BPF_AND | BPF_K, 0xf0);
  p.RequireEqual(0x60);
  p.Op(BPF_LD | BPF_B | BPF_ABS, l3 + 24);  // the destination's first byte
  p.RequireEqual(0xff);
  p.Op(BPF_LD | BPF_B | BPF_ABS, l3 + 6);  // next header
  const size_t count = sizeof kIpv6NextHeaders / sizeof kIpv6NextHeaders[0];
  for (size_t i = 0; i < count; ++i) {
    // Equal: jump over the remaining tests and the drop, to the accept.
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, kIpv6NextHeaders[i], static_cast<uint8_t>(count - i), 0);
  }
  p.Op(BPF_RET | BPF_K, kDrop);
  p.Op(BPF_RET | BPF_K, kAccept);
}

// One L3 layout: the VLAN key, then a branch per network protocol. keys: nullptr for the generic
// IPv4 block; ipv4 false: no IPv4 block (an IPv6-only table).
void EmitLayout(Program& p, bool inFrameTag, const std::vector<FilterKey>* keys, bool ipv4, bool ipv6) {
  const uint32_t l3 = inFrameTag ? 18 : 14;
  EmitVlanKey(p, inFrameTag);
  if (ipv6) {
    Program v6;
    EmitIpv6(v6, l3);
    // Not IPv6: jump over its block (a few dozen instructions: within a conditional's reach).
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, kEthTypeIpv6, 0, static_cast<uint8_t>(v6.Size()));
    for (size_t i = 0; i < v6.Size(); ++i) p.Append(v6.At(i));
  }
  if (!ipv4) {
    p.Op(BPF_RET | BPF_K, kDrop);
    return;
  }
  p.RequireEqual(kEthTypeIpv4);
  EmitIpv4(p, l3, keys);
}

}  // namespace

FilterPlan FilterPlanOf(const std::vector<CompiledRule>& rules) {
  FilterPlan plan;
  plan.anyRule = !rules.empty();
  plan.ipv6 = rules.empty();
  plan.keys.reserve(rules.size());
  for (const CompiledRule& rule : rules) {
    if (rule.ipv6) {
      plan.ipv6 = true;
      continue;
    }
    const uint32_t mask = rule.prefixLength >= 32 ? 0xffffffffu : ~0u << (32 - rule.prefixLength);
    plan.keys.push_back({ntohl(rule.group) & mask, mask, rule.port, rule.vlan, rule.fastPath});
  }
  std::sort(plan.keys.begin(), plan.keys.end());
  plan.keys.erase(std::unique(plan.keys.begin(), plan.keys.end()), plan.keys.end());
  return plan;
}

std::vector<sock_filter> BuildIngressFilter(const FilterPlan& plan) {
  // No IPv4 rule in a non-empty table: no IPv4 block. Too many keys: the generic one.
  const bool ipv4 = !plan.anyRule || !plan.keys.empty();
  const bool exact = !plan.keys.empty() && plan.keys.size() <= kMaxExactFilterKeys;
  const std::vector<FilterKey>* list = exact ? &plan.keys : nullptr;
  Program p;
  if (plan.dropOutgoing) {
    // Where a fanout group's PACKET_FANOUT_FLAG_IGNORE_OUTGOING has no effect (packet_ring.hpp).
    p.Op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE);
    p.Jump(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1);
    p.Op(BPF_RET | BPF_K, kDrop);
  }
  p.Op(BPF_LD | BPF_H | BPF_ABS, 12);
  p.Jump(BPF_JMP | BPF_JEQ | BPF_K, kEthTypeVlan, 0, 1);
  const size_t toTagged = p.Size();
  p.Op(BPF_JMP | BPF_JA, 0);  // patched below: the untagged layout may be longer than a jt reach
  EmitLayout(p, false, list, ipv4, plan.ipv6);
  p.At(toTagged).k = static_cast<uint32_t>(p.Size() - toTagged - 1);
  EmitLayout(p, true, list, ipv4, plan.ipv6);
  return p.Take();
}

}  // namespace mcr
