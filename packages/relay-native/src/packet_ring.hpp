// Ingress socket: AF_PACKET SOCK_RAW with a TPACKET_V2 RX ring (each frame handed over at once,
// no block-retire delay as with V3), bound to one ifindex, optionally in a fanout group.
// Pure C++: failures come back as SysError.
#pragma once

#include <linux/filter.h>
#include <linux/if_packet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ingress_filter.hpp"
#include "outgoing_probe.hpp"
#include "util/errors.hpp"

namespace mcr {

struct PacketRingOptions {
  std::string interfaceName;
  int ifindex = 0;
  int fanoutMode = -1;       // -1: no fanout; else PACKET_FANOUT_HASH(0) / LB(1) / CPU(2)
  int fanoutId = -1;         // -1: let the kernel pick (PACKET_FANOUT_FLAG_UNIQUEID)
  size_t receiveBufferBytes = 8u << 20;
  bool allMulticast = false;  // PACKET_MR_ALLMULTI: the interface passes every group (passive mode)
  // false: TEST-ONLY, join without PACKET_FANOUT_FLAG_IGNORE_OUTGOING (as if the kernel ignored it)
  bool fanoutIgnoreOutgoing = true;
};

// What keeps the frames this host sends on the interface (PACKET_OUTGOING) out of the ring.
enum class OutgoingGuard {
  SocketOption,  // no fanout group: the socket's PACKET_IGNORE_OUTGOING
  FanoutFlag,    // the group's PACKET_FANOUT_FLAG_IGNORE_OUTGOING, which the probe found in effect
  Filter,        // the ring's BPF filter drops pkt_type PACKET_OUTGOING (the flag is refused, has no
                 // effect, or could not be probed)
};

// How the fanout flag fared: why the guard is what it is.
enum class OutgoingProbe { None, Honoured, Ignored, Inconclusive, Refused };

class PacketRing {
 public:
  PacketRing() = default;
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;
  ~PacketRing() { Close(); }

  // Opens with a filter that drops everything, in place before the bind: no frame enters the ring
  // until the first table's filter replaces it (AttachFilter, from setRules).
  bool Open(const PacketRingOptions& options, SysError& error);
  // Replaces the filter atomically (SO_ATTACH_FILTER) with the one for `plan`, plus the drop of
  // outgoing frames when the guard is Filter; on failure the previous one stays.
  bool AttachFilter(FilterPlan plan, SysError& error);
  void Close();

  int fd() const { return fd_; }
  int fanoutId() const { return fanoutId_; }  // -1 without fanout
  OutgoingGuard outgoingGuard() const { return outgoingGuard_; }
  OutgoingProbe outgoingProbe() const { return outgoingProbe_; }
  size_t frameCount() const { return frameCount_; }
  // The kernel's layout (packet_lookup_frame): whole slots per block, the rest of a block unused.
  tpacket2_hdr* Frame(size_t index) const {
    return reinterpret_cast<tpacket2_hdr*>(ring_ + index / framesPerBlock_ * blockBytes_ + index % framesPerBlock_ * frameSize_);
  }
  // PACKET_STATISTICS since the previous call (the kernel resets them on read).
  bool ReadStatistics(uint64_t& packets, uint64_t& drops) const;

 private:
  bool AttachDropAll(SysError& error);
  int fd_ = -1;
  uint8_t* ring_ = nullptr;
  size_t ringBytes_ = 0;
  size_t frameSize_ = 0;   // one slot: RingSlotBytes(MTU) (packet_ring.cc)
  size_t frameCount_ = 0;
  size_t framesPerBlock_ = 1;
  size_t blockBytes_ = 0;
  int fanoutId_ = -1;
  OutgoingGuard outgoingGuard_ = OutgoingGuard::Filter;  // until Open knows better
  OutgoingProbe outgoingProbe_ = OutgoingProbe::None;
};

}  // namespace mcr
