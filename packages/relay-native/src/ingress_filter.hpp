// The ring socket's kernel-side filter (classic BPF, SO_ATTACH_FILTER): frames no rule can match
// are dropped in the kernel, before they are copied into the ring, so unrelated traffic on the
// input interface (a TCP transfer, ARP, IPv6) costs the forwarding thread nothing.
//
// Two shapes, both passing only IPv4 UDP to a 224.0.0.0/4 destination that is not a fragment:
// - generic: nothing more (no rules, or more distinct keys than kMaxExactFilterKeys);
// - exact: the destination (group, port, VLAN) must be one of the table's keys.
// VLAN: a tag in the frame (ethertype 0x8100) moves the IPv4 header 4 bytes on; a tag the kernel
// moved into metadata (SKF_AD_VLAN_TAG_PRESENT, as veth delivers it) sets the frame's VLAN and
// wins over an in-frame one, exactly as the loop's lookup does (forward_path.hpp). The program is
// built per L3 layout (untagged, tagged) and per network protocol, so an IPv6 branch (ethertype
// 0x86dd, ff00::/8) can be added beside the IPv4 one.
// Pure C++: built on the JS thread, attached by PacketRing.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "rule_table.hpp"

namespace mcr {

// Above this many distinct (group, port, VLAN) keys the exact program (7 instructions per key and
// L3 layout) gives way to the generic one: a long linear program would cost more per frame than
// the userspace lookup it saves.
constexpr size_t kMaxExactFilterKeys = 64;

struct FilterKey {
  uint32_t group = 0;  // host byte order
  uint16_t port = 0;   // host byte order
  int32_t vlan = -1;   // -1: untagged
  bool operator<(const FilterKey& o) const {
    if (group != o.group) return group < o.group;
    if (port != o.port) return port < o.port;
    return vlan < o.vlan;
  }
  bool operator==(const FilterKey& o) const { return group == o.group && port == o.port && vlan == o.vlan; }
};

// The distinct keys of a table's rules (sources are checked in userspace).
std::vector<FilterKey> FilterKeysOf(const std::vector<CompiledRule>& rules);

// keys empty or above kMaxExactFilterKeys: the generic program; else the exact one.
std::vector<sock_filter> BuildIngressFilter(const std::vector<FilterKey>& keys);

}  // namespace mcr
