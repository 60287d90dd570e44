// The kernel-side filter of a ListenerSocket (classic BPF, SO_ATTACH_FILTER): only IGMP, or only
// MLD, reaches the socket, so a busy interface costs its reader nothing. The socket is cooked
// (SOCK_DGRAM), so the program reads from the network header on.
//
// Both families first drop what the host did not receive as its own or as a group's: pkt_type
// OTHERHOST (unicast to another MAC, or a frame of a VLAN no device of this host takes), OUTGOING
// (what this host sends: ListenerSocket's own queries among them; a socket bound to one protocol does
// not see them anyway, PACKET_IGNORE_OUTGOING is set too) and LOOPBACK.
// - IPv4: version 4, protocol 2 (IGMP), not a fragment.
// - IPv6: version 6, and an ICMPv6 message of an MLD type (130, 131, 132, 143) either right after the
//   fixed header or after one Hop-by-Hop header (where MLD's Router Alert rides).
// ReadListenerPacket (listener_wire.hpp) checks the rest in userspace.
// Pure C++: built on the JS thread, attached before the socket is bound.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace mcr {

std::vector<sock_filter> BuildListenerFilter(bool ipv6);

}  // namespace mcr
