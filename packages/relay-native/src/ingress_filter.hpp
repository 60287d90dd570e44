// The ring socket's kernel-side filter (classic BPF, SO_ATTACH_FILTER): frames no rule can match
// are dropped in the kernel, before they are copied into the ring, so unrelated traffic on the
// input interface (a TCP transfer, ARP, ND) costs the forwarding thread nothing.
//
// IPv4: UDP to a 224.0.0.0/4 destination that is not a fragment, and then
// - generic: nothing more (no rules, or more distinct keys than kMaxExactFilterKeys);
// - exact: the destination (group, port, VLAN) is one of the table's keys; a range rule's key
//   compares the destination under its prefix mask;
// - none: the table has only IPv6 rules.
// IPv6 (when the table has an IPv6 rule, or no rule at all): a destination in ff00::/8 whose next
// header is UDP or an extension header (so the loop counts fragments and extension headers it
// drops); ICMPv6 (ND, MLD without options) never enters the ring. Nothing finer: the loop matches.
// Fast path: a key of a rule the tc engine forwards (CompiledRule::fastPath) passes only the frames
// its program does not rewrite in place (InPlaceLayout in forward_path.hpp: IPv4 options, the
// reserved flag, padding, a UDP length short of the IP length, a tag in the bytes): the program
// forwards the rest in the input's softirq, and the forwarding thread is not woken for them. Keys of
// the packet engine are tested first, so a frame that one of its rules may take always enters.
// VLAN: a tag in the frame (ethertype 0x8100) moves the L3 header 4 bytes on; a tag the kernel
// moved into metadata (SKF_AD_VLAN_TAG_PRESENT, as veth delivers it) sets the frame's VLAN and
// wins over an in-frame one, and a priority tag (VLAN 0) is none, exactly as the loop's lookup does
// (FrameVlan in forward_path.hpp). The program is
// built per L3 layout (untagged, tagged) and per network protocol.
// Pure C++: built on the JS thread, attached by PacketRing.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "rule_table.hpp"

namespace mcr {

// Above this many distinct IPv4 (group, port, VLAN) keys the exact program (per key and L3 layout
// 7 instructions, 8 for a range) gives way to the generic one: a long linear program would cost
// more per frame than the userspace lookup it saves.
constexpr size_t kMaxExactFilterKeys = 64;

struct FilterKey {
  uint32_t group = 0;            // host byte order (a range's base)
  uint32_t mask = 0xffffffffu;   // a range rule's prefix mask; all ones for an exact rule
  uint16_t port = 0;             // host byte order
  int32_t vlan = -1;             // -1: untagged (or priority-tagged); else 1..4095
  bool fastPath = false;         // the tc engine's rule: in-place frames stay out of the ring
  bool operator<(const FilterKey& o) const {
    if (fastPath != o.fastPath) return !fastPath;  // the packet engine's keys first
    if (group != o.group) return group < o.group;
    if (mask != o.mask) return mask < o.mask;
    if (port != o.port) return port < o.port;
    return vlan < o.vlan;
  }
  bool operator==(const FilterKey& o) const {
    return group == o.group && mask == o.mask && port == o.port && vlan == o.vlan;
  }
};

// What a table needs the filter to pass.
struct FilterPlan {
  bool anyRule = false;        // false: generic for both families
  std::vector<FilterKey> keys;  // distinct IPv4 keys (sources are checked in userspace)
  bool ipv6 = true;            // pass IPv6 multicast (the table has an IPv6 rule, or none at all)
  bool dropOutgoing = false;   // drop what the host itself sends (pkt_type PACKET_OUTGOING) first
};

FilterPlan FilterPlanOf(const std::vector<CompiledRule>& rules);

// The program for `plan`; FilterPlan() (no rules) gives the generic one.
std::vector<sock_filter> BuildIngressFilter(const FilterPlan& plan);

}  // namespace mcr
