#include "outgoing_probe.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace mcr {
namespace {

constexpr uint16_t kProbeEthertype = 0x88b5;  // IEEE Std 802 local experimental ethertype 1
constexpr int kFanoutLb = 1;                   // PACKET_FANOUT_LB
constexpr int kFanoutFlagUniqueId = 0x2000;
constexpr int kFanoutFlagIgnoreOutgoing = 0x4000;
// The control sees the frame while it is sent (or, behind a busy qdisc, soon after); the group, if it
// sees it at all, in the same pass over the interface's taps.
constexpr int kControlWaitMs = 200;
constexpr int kGroupGraceMs = 20;

// Closes the descriptors it holds when the probe returns, whichever way.
struct Fds {
  int control = -1, group = -1, sender = -1;
  ~Fds() {
    if (control >= 0) close(control);
    if (group >= 0) close(group);
    if (sender >= 0) close(sender);
  }
};

// A socket on every frame of `ifindex` that keeps only the probe's (ethertype and nonce).
int ProbeSocket(int ifindex, uint32_t nonce) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProbeEthertype, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nonce, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  // ETH_P_ALL: outgoing frames reach only the taps of every protocol, not a protocol's own handlers.
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = ifindex;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Readable(int fd, int timeoutMs) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeoutMs) > 0 && (p.revents & POLLIN) != 0;
}

// Whether the next frame queued on `fd` is one the host sent.
bool NextIsOutgoing(int fd) {
  uint8_t frame[64];
  sockaddr_ll from{};
  socklen_t length = sizeof from;
  const ssize_t n = recvfrom(fd, frame, sizeof frame, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &length);
  return n > 0 && from.sll_pkttype == PACKET_OUTGOING;
}

}  // namespace

ProbeResult ProbeFanoutIgnoresOutgoing(int ifindex, bool withFlag) noexcept {
  ifreq request{};
  if (if_indextoname(static_cast<unsigned>(ifindex), request.ifr_name) == nullptr) return ProbeResult::Inconclusive;
  Fds fds;
  fds.sender = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fds.sender < 0 || ioctl(fds.sender, SIOCGIFHWADDR, &request) != 0 || request.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    return ProbeResult::Inconclusive;
  }
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint32_t nonce = static_cast<uint32_t>(now.tv_nsec) ^ (static_cast<uint32_t>(getpid()) << 12);

  fds.control = ProbeSocket(ifindex, nonce);
  fds.group = ProbeSocket(ifindex, nonce);
  if (fds.control < 0 || fds.group < 0) return ProbeResult::Inconclusive;
  const int flags = kFanoutFlagUniqueId | (withFlag ? kFanoutFlagIgnoreOutgoing : 0);
  const int arg = (kFanoutLb | flags) << 16;
  if (setsockopt(fds.group, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return ProbeResult::Inconclusive;

  uint8_t frame[ETH_ZLEN] = {};
  std::memcpy(frame, request.ifr_hwaddr.sa_data, ETH_ALEN);
  std::memcpy(frame + ETH_ALEN, request.ifr_hwaddr.sa_data, ETH_ALEN);
  frame[12] = kProbeEthertype >> 8;
  frame[13] = kProbeEthertype & 0xff;
  const uint32_t nonceBytes = htonl(nonce);
  std::memcpy(frame + 14, &nonceBytes, sizeof nonceBytes);
  std::memcpy(frame + 18, "mcr outgoing probe", 18);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(kProbeEthertype);
  to.sll_ifindex = ifindex;
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, frame, ETH_ALEN);
  if (sendto(fds.sender, frame, sizeof frame, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) != static_cast<ssize_t>(sizeof frame)) {
    return ProbeResult::Inconclusive;
  }
  if (!Readable(fds.control, kControlWaitMs) || !NextIsOutgoing(fds.control)) return ProbeResult::Inconclusive;
  return Readable(fds.group, kGroupGraceMs) && NextIsOutgoing(fds.group) ? ProbeResult::Ignored : ProbeResult::Honoured;
}

}  // namespace mcr
