#include "packet_ring.hpp"

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>


namespace mcr {
namespace {

constexpr int kPacketIgnoreOutgoing = 23;  // PACKET_IGNORE_OUTGOING (not in older headers)
constexpr int kFanoutFlagUniqueId = 0x2000;
// PACKET_FANOUT_FLAG_IGNORE_OUTGOING (Linux 6.7; not in older headers): a fanout group does not
// honour the member's PACKET_IGNORE_OUTGOING, so without it the ring reads every frame this host
// sends on the interface (IGMP reports, and the relay's own copies when an output shares it).
constexpr int kFanoutFlagIgnoreOutgoing = 0x4000;
constexpr size_t kBlockBytes = 1u << 16;
constexpr size_t kVlanTagBytes = 4;

// The MTU of the interface the ring is bound to, looked up by ifindex (the name may be stale after a
// rename). A missing interface is ENODEV (SIOCGIFNAME), as the bind would report it.
bool InterfaceMtu(int ifindex, int& mtu, SysError& error) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error.err = errno;
    error.syscall = "socket";
    return false;
  }
  ifreq request{};
  request.ifr_ifindex = ifindex;
  const bool ok = ioctl(fd, SIOCGIFNAME, &request) == 0 && ioctl(fd, SIOCGIFMTU, &request) == 0;
  if (!ok) {
    error.err = errno;
    error.syscall = "ioctl";
  }
  close(fd);
  mtu = request.ifr_mtu;
  return ok;
}

// The bytes a ring slot needs for every frame that fits an interface of this MTU.
size_t RingSlotBytes(int mtu) {
  // tpacket_rcv (net/packet/af_packet.c) puts the network header of a frame at
  // netoff = TPACKET_ALIGN(TPACKET2_HDRLEN + max(16, link header)) from the slot's start, the link
  // header right before it, and cuts whatever lies beyond the slot's end (tp_snaplen < tp_len; the
  // loop relays no cut frame). The link header is Ethernet's 14 bytes, 18 when an 802.1Q tag stays in
  // the bytes; past netoff come at most the MTU and, when the kernel counts a tag in the bytes as
  // network data, that tag (veth and the stack pass MTU + Ethernet header + one tag).
  const size_t linkHeader = ETH_HLEN + kVlanTagBytes;
  const size_t netoff = TPACKET_ALIGN(TPACKET2_HDRLEN + (linkHeader < 16 ? 16 : linkHeader));
  return TPACKET_ALIGN(netoff + static_cast<size_t>(mtu) + kVlanTagBytes);
}

}  // namespace

bool PacketRing::Open(const PacketRingOptions& options, SysError& error) {
  auto fail = [&](const char* syscall) {
    error.err = errno;
    error.syscall = syscall;
    Close();
    return false;
  };
  // Protocol 0 at creation: nothing is queued before the ring exists and the bind names the
  // interface (ETH_P_ALL at socket() would start capturing on every interface at once).
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail("socket");

  const int version = TPACKET_V2;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) return fail("setsockopt");
  const int one = 1;
  if (setsockopt(fd_, SOL_PACKET, kPacketIgnoreOutgoing, &one, sizeof one) != 0) return fail("setsockopt");
  const int rcvbuf = static_cast<int>(options.receiveBufferBytes);
  // SO_RCVBUFFORCE may exceed net.core.rmem_max but needs CAP_NET_ADMIN. A relay running with
  // CAP_NET_RAW alone (the documented least-privilege set) gets what SO_RCVBUF grants instead: the
  // ring itself, sized below, does not depend on it.
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
    if (errno != EPERM || setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) return fail("setsockopt");
  }

  int mtu = 0;
  if (!InterfaceMtu(options.ifindex, mtu, error)) {
    Close();
    return false;
  }
  frameSize_ = RingSlotBytes(mtu);
  // Blocks are whole pages (the kernel's rule); a slot larger than the default block gets a block of
  // its own. Slots need not be powers of two, only TPACKET_ALIGNMENT multiples.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t slotPages = (frameSize_ + page - 1) / page * page;
  const size_t blockBytes = slotPages > kBlockBytes ? slotPages : kBlockBytes;
  size_t blocks = options.receiveBufferBytes / blockBytes;
  if (blocks < 4) blocks = 4;
  tpacket_req request{};
  request.tp_block_size = static_cast<unsigned>(blockBytes);
  request.tp_block_nr = static_cast<unsigned>(blocks);
  request.tp_frame_size = static_cast<unsigned>(frameSize_);
  request.tp_frame_nr = static_cast<unsigned>(blockBytes / frameSize_ * blocks);
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) != 0) return fail("setsockopt");
  frameCount_ = request.tp_frame_nr;
  framesPerBlock_ = blockBytes / frameSize_;
  blockBytes_ = blockBytes;
  ringBytes_ = blockBytes * blocks;
  void* ring = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd_, 0);
  if (ring == MAP_FAILED) {
    // MAP_LOCKED can fail under RLIMIT_MEMLOCK; the ring works unlocked too.
    ring = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (ring == MAP_FAILED) return fail("mmap");
  }
  ring_ = static_cast<uint8_t*>(ring);

  // The socket option keeps outgoing frames away from a ring in no group; a group's flag is not known
  // to work until probed: until then (and for good if it does not) the filter drops them.
  outgoingGuard_ = options.fanoutMode >= 0 ? OutgoingGuard::Filter : OutgoingGuard::SocketOption;
  // Nothing enters before the first table's filter (setRules): a generic program here would queue
  // whatever multicast arrives before then (a fresh interface's MLD reports, other streams), and the
  // loop would count it against a table that never asked for it.
  if (!AttachDropAll(error)) {
    Close();
    return false;
  }

  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = options.ifindex;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail("bind");

  if (options.allMulticast) {
    // Held by this socket: the kernel drops it (and the interface's ALLMULTI count) at close.
    packet_mreq request{};
    request.mr_ifindex = options.ifindex;
    request.mr_type = PACKET_MR_ALLMULTI;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &request, sizeof request) != 0) return fail("setsockopt");
  }

  if (options.fanoutMode >= 0) {
    const int flags = options.fanoutId >= 0 ? 0 : kFanoutFlagUniqueId;
    const int id = options.fanoutId >= 0 ? options.fanoutId : 0;
    bool flagInGroup = options.fanoutIgnoreOutgoing;
    int arg = id | ((options.fanoutMode | flags | (flagInGroup ? kFanoutFlagIgnoreOutgoing : 0)) << 16);
    if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
      // A kernel that refuses the flag (EINVAL): join without it. Any other EINVAL (a group with
      // another mode) fails again here and is reported.
      arg = id | ((options.fanoutMode | flags) << 16);
      if (errno != EINVAL || !flagInGroup || setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return fail("setsockopt");
      flagInGroup = false;
      outgoingProbe_ = OutgoingProbe::Refused;
    }
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &value, &length) != 0) return fail("getsockopt");
    fanoutId_ = value & 0xffff;
    if (outgoingProbe_ != OutgoingProbe::Refused) {
      // Kernels before 6.7 accept the flag and ignore it (and report it back through getsockopt): only
      // an outgoing frame tells. The probe's group asks for what this one asked for.
      switch (ProbeFanoutIgnoresOutgoing(options.ifindex, flagInGroup)) {
        case ProbeResult::Honoured: outgoingProbe_ = OutgoingProbe::Honoured; break;
        case ProbeResult::Ignored: outgoingProbe_ = OutgoingProbe::Ignored; break;
        case ProbeResult::Inconclusive: outgoingProbe_ = OutgoingProbe::Inconclusive; break;
      }
    }
    // The guard chosen here shapes every table's filter from the first setRules on.
    if (flagInGroup && outgoingProbe_ == OutgoingProbe::Honoured) outgoingGuard_ = OutgoingGuard::FanoutFlag;
  }
  return true;
}

bool PacketRing::AttachDropAll(SysError& error) {
  sock_filter dropAll = BPF_STMT(BPF_RET | BPF_K, 0);
  sock_fprog fprog{};
  fprog.len = 1;
  fprog.filter = &dropAll;
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    error.err = errno;
    error.syscall = "setsockopt";
    return false;
  }
  return true;
}

bool PacketRing::AttachFilter(FilterPlan plan, SysError& error) {
  plan.dropOutgoing = outgoingGuard_ == OutgoingGuard::Filter;
  const std::vector<sock_filter> program = BuildIngressFilter(plan);
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = const_cast<sock_filter*>(program.data());
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    error.err = errno;
    error.syscall = "setsockopt";
    return false;
  }
  return true;
}

bool PacketRing::ReadStatistics(uint64_t& packets, uint64_t& drops) const {
  tpacket_stats stats{};
  socklen_t length = sizeof stats;
  if (fd_ < 0 || getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) != 0) return false;
  // The kernel's tp_packets already includes tp_drops.
  packets = stats.tp_packets;
  drops = stats.tp_drops;
  return true;
}

void PacketRing::Close() {
  if (ring_ != nullptr) munmap(ring_, ringBytes_);
  ring_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace mcr
