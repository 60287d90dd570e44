// The classic BPF program a DatagramSocket attaches: it passes only UDP packets to one group and
// port that this host received (pkt_type below PACKET_OTHERHOST: not its own outgoing frames, not
// frames for other hosts), IPv4 not fragmented, IPv6 with UDP as the first next header.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace mcr {

// `group`: 4 or 16 bytes in network order; `port` in host order.
std::vector<sock_filter> BuildDatagramFilter(bool ipv6, const uint8_t* group, uint16_t port);

}  // namespace mcr
