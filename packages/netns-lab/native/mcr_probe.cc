// mcr-probe: asks the running kernel what the lab and the relay depend on, instead of assuming it.
//
// Each subcommand prints one JSON object on stdout and exits 0 once the probe ran, whatever it
// found; 2 on a usage error; 1 when something unexpected failed (the errno text on stderr).
//   mroute                  whether multicast routing (MRT_INIT / MRT6_INIT) exists in this
//                           network namespace's kernel: run it in a throwaway namespace, since
//                           a successful MRT_INIT makes this process the namespace's mrouter
//                           until MRT_DONE.
//   timer                   how long clock_nanosleep really sleeps: virtual machines round short
//                           sleeps up, which decides whether a pacer can sleep or has to spin.
//   fanout-ignore-outgoing  whether PACKET_FANOUT_FLAG_IGNORE_OUTGOING takes effect: kernels
//                           before 6.7 accept the unknown flag silently and still deliver the
//                           host's own transmitted frames to the group.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "tool_limits.hpp"

using namespace mcr;

namespace {

constexpr const char* kUsage =
    "usage: mcr-probe mroute --family ipv4|ipv6\n"
    "       mcr-probe timer [--micros US] [--count N]\n"
    "       mcr-probe fanout-ignore-outgoing --interface IFNAME [--omit-flag]\n"
    "  mroute                  opens a raw IGMP (ipv4) or ICMPv6 (ipv6) socket and tries MRT_INIT /\n"
    "                          MRT6_INIT, then MRT_DONE: prints {family, available[, errno, message]}.\n"
    "                          Run it in a throwaway network namespace (ip netns exec NS ...).\n"
    "  timer                   measures clock_nanosleep(CLOCK_MONOTONIC) of --micros US,\n"
    "                          " MCR_RANGE(TIMER_MICROS) ", --count N times, " MCR_RANGE(TIMER_COUNT) ",\n"
    "                          with 1 ns timer\n"
    "                          slack as mcr-send uses: prints {requestedUs, count, medianUs, p99Us, minUs, maxUs}\n"
    "  fanout-ignore-outgoing  joins a PACKET_FANOUT group (hash) on --interface with\n"
    "                          PACKET_FANOUT_FLAG_IGNORE_OUTGOING, sends a few frames out of it and\n"
    "                          checks whether the group saw them while a plain AF_PACKET socket did:\n"
    "                          prints {accepted, effective, framesSent, outgoingSeenByGroup,\n"
    "                          outgoingSeenByControl[, errno, message]}; effective is null when\n"
    "                          the control saw nothing either (nothing left the interface).\n"
    "                          --omit-flag joins without the flag: the negative control, which\n"
    "                          must report effective false\n"
    "exit status: 0 the probe ran (whatever it found), 2 usage error, 1 unexpected failure\n";

// The multicast routing socket options (linux/mroute.h, linux/mroute6.h), stated here because
// those headers include linux/in.h, which clashes with netinet/in.h.
constexpr int kMrtInit = 200;   // MRT_INIT at IPPROTO_IP, MRT6_INIT at IPPROTO_IPV6
constexpr int kMrtDone = 201;   // MRT_DONE, MRT6_DONE
// Linux 6.7 (linux/if_packet.h); Debian 12's kernel headers predate it.
constexpr int kFanoutFlagIgnoreOutgoing = 0x4000;
// IEEE Std 802 local experimental EtherType: the peer's stack drops it unread.
constexpr uint16_t kProbeEtherType = 0x88b5;
constexpr int kProbeFrames = 8;
constexpr int kProbeWaitMs = 300;


// Thrown for a failure the probe cannot interpret; main() prints it and exits 1.
struct Failure {
  std::string what;
  int err;
};

[[noreturn]] void fail(const std::string& what) { throw Failure{what, errno}; }

std::string errnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "E" + std::to_string(err);
}

// Closes a descriptor on every path out of a probe.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// ---- mroute -------------------------------------------------------------------------------

int probeMroute(int argc, char** argv) {
  FlagReader flags(argc, argv);
  std::string flag, family;
  while (flags.next(flag)) {
    if (flag == "--family") {
      family = flags.value();
      if (family != "ipv4" && family != "ipv6") usageError("--family expects ipv4 or ipv6, got '" + family + "'");
    } else {
      usageError("mroute: unknown flag '" + flag + "'");
    }
  }
  if (family.empty()) usageError("mroute: --family ipv4|ipv6 is required");
  const bool v6 = family == "ipv6";

  // MRT_INIT is accepted only on a raw IGMP socket, MRT6_INIT only on a raw ICMPv6 one.
  Fd s(v6 ? socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6) : socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IGMP));
  if (s.fd < 0) fail(v6 ? "socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)" : "socket(AF_INET, SOCK_RAW, IPPROTO_IGMP)");
  const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const char* init = v6 ? "setsockopt(MRT6_INIT)" : "setsockopt(MRT_INIT)";
  const int one = 1;
  bool available;
  int err = 0;
  if (setsockopt(s.fd, level, kMrtInit, &one, sizeof one) == 0) {
    available = true;
    // Hand the namespace's mrouter slot back at once; closing the socket would too.
    if (setsockopt(s.fd, level, kMrtDone, nullptr, 0) != 0) fail(v6 ? "setsockopt(MRT6_DONE)" : "setsockopt(MRT_DONE)");
  } else if (errno == EADDRINUSE) {
    available = true;  // another process is this namespace's mrouter: the kernel has it
  } else if (errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
    available = false;  // CONFIG_IP_MROUTE / CONFIG_IPV6_MROUTE unset
    err = errno;
  } else {
    fail(init);
  }
  std::printf("{\"family\":%s,\"available\":%s", jsonString(family).c_str(), available ? "true" : "false");
  if (!available) {
    const std::string message = std::string(init) + ": " + std::strerror(err) + ": the kernel has no " +
                                (v6 ? "IPv6" : "IPv4") + " multicast routing (" +
                                (v6 ? "CONFIG_IPV6_MROUTE" : "CONFIG_IP_MROUTE") + ")";
    std::printf(",\"errno\":%s,\"message\":%s", jsonString(errnoName(err)).c_str(), jsonString(message).c_str());
  }
  std::printf("}\n");
  return 0;
}

// ---- timer --------------------------------------------------------------------------------

int probeTimer(int argc, char** argv) {
  FlagReader flags(argc, argv);
  std::string flag;
  uint64_t micros = kTimerMicros.fallback, count = kTimerCount.fallback;
  while (flags.next(flag)) {
    if (flag == "--micros") micros = parseUint(flag, flags.value(), kTimerMicros.min, kTimerMicros.max);
    else if (flag == "--count") count = parseUint(flag, flags.value(), kTimerCount.min, kTimerCount.max);
    else usageError("timer: unknown flag '" + flag + "'");
  }
  // The slack mcr-send runs with: the figure says what its pacer can get, not the kernel's 50 us default.
  if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) != 0) fail("prctl(PR_SET_TIMERSLACK)");
  std::vector<uint64_t> ns(count);
  const timespec req{static_cast<time_t>(micros / 1000000), static_cast<long>(micros % 1000000) * 1000};
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t t0 = monotonicNs();
    timespec left = req;
    // A signal cuts a sleep short; sleep the rest so the sample is still one requested sleep.
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &left, &left) == EINTR) {
    }
    ns[i] = monotonicNs() - t0;
  }
  std::sort(ns.begin(), ns.end());
  // Nearest rank: the smallest sample with at least p of the samples at or below it.
  auto rank = [&](double p) {
    const size_t r = static_cast<size_t>(std::ceil(p * static_cast<double>(count)));
    return ns[std::min<size_t>(std::max<size_t>(r, 1), count) - 1];
  };
  auto us = [](uint64_t v) { return static_cast<double>(v) / 1000.0; };
  std::printf("{\"requestedUs\":%llu,\"count\":%llu,\"medianUs\":%.1f,\"p99Us\":%.1f,\"minUs\":%.1f,\"maxUs\":%.1f}\n",
              static_cast<unsigned long long>(micros), static_cast<unsigned long long>(count), us(rank(0.5)),
              us(rank(0.99)), us(ns.front()), us(ns.back()));
  return 0;
}

// ---- fanout-ignore-outgoing ---------------------------------------------------------------

// An AF_PACKET socket that receives every frame of ifindex (ETH_P_ALL), bound to it.
int packetSocket(unsigned ifindex, const char* role) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) fail(std::string("socket(AF_PACKET, SOCK_RAW) for the ") + role);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    fail(std::string("bind(AF_PACKET) for the ") + role);
  }
  return fd;
}

// Reads everything queued on fd; counts the outgoing probe frames that carry this run's nonce.
int drainOutgoing(int fd, const uint8_t* nonce, size_t nonceLen) {
  int seen = 0;
  uint8_t buf[2048];
  for (;;) {
    sockaddr_ll from{};
    socklen_t fromLen = sizeof from;
    const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return seen;
      // Reported once to a socket bound to an interface that is down: nothing left it.
      if (errno == ENETDOWN) return seen;
      if (errno == EINTR) continue;
      fail("recvfrom(AF_PACKET)");
    }
    if (from.sll_pkttype != PACKET_OUTGOING || static_cast<size_t>(n) < ETH_HLEN + nonceLen) continue;
    if (ntohs(from.sll_protocol) != kProbeEtherType) continue;
    if (std::memcmp(buf + ETH_HLEN, nonce, nonceLen) == 0) ++seen;
  }
}

int probeFanoutIgnoreOutgoing(int argc, char** argv) {
  FlagReader flags(argc, argv);
  std::string flag, ifname;
  bool omitFlag = false;
  while (flags.next(flag)) {
    if (flag == "--omit-flag") {
      if (flags.hasInlineValue()) usageError("--omit-flag takes no value");
      omitFlag = true;
    } else if (flag == "--interface") {
      ifname = flags.value();
      if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
        usageError("--interface expects an interface name of 1..15 characters, got '" + ifname + "'");
      }
    } else {
      usageError("fanout-ignore-outgoing: unknown flag '" + flag + "'");
    }
  }
  if (ifname.empty()) usageError("fanout-ignore-outgoing: --interface IFNAME is required");
  const unsigned ifindex = interfaceIndex("--interface", ifname);

  // The group member under test, and a control that shows what left the interface.
  Fd member(packetSocket(ifindex, "fanout member"));
  Fd control(packetSocket(ifindex, "control"));
  // UNIQUEID: the kernel picks a free group id, so no other group in the namespace can clash.
  const int fanoutArg = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID | (omitFlag ? 0 : kFanoutFlagIgnoreOutgoing)) << 16;
  bool accepted = true;
  int fanoutErr = 0;
  if (setsockopt(member.fd, SOL_PACKET, PACKET_FANOUT, &fanoutArg, sizeof fanoutArg) != 0) {
    accepted = false;
    fanoutErr = errno;
  }

  // The transmitter: frames from it are "outgoing" to every other AF_PACKET socket on ifindex.
  Fd tx(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (tx.fd < 0) fail("socket(AF_PACKET, SOCK_RAW) for the transmitter");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(tx.fd, SIOCGIFHWADDR, &ifr) != 0) fail("ioctl(SIOCGIFHWADDR, " + ifname + ")");
  uint8_t frame[64]{};
  // Destination: a locally administered group address, so no station takes it as its own.
  const uint8_t dst[6] = {0x03, 0x00, 0x6d, 0x63, 0x72, 0x70};
  std::memcpy(frame, dst, 6);
  std::memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6);
  frame[12] = kProbeEtherType >> 8;
  frame[13] = kProbeEtherType & 0xff;
  // A nonce per run: frames of another probe on the same interface are not counted.
  const uint64_t nonce = monotonicNs() ^ (static_cast<uint64_t>(getpid()) << 40);
  std::memcpy(frame + ETH_HLEN, "mcr-probe", 9);
  std::memcpy(frame + ETH_HLEN + 9, &nonce, sizeof nonce);
  const size_t nonceLen = 9 + sizeof nonce;

  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_protocol = htons(kProbeEtherType);
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, dst, 6);
  int sent = 0;
  int sendErr = 0;
  for (int i = 0; i < kProbeFrames; ++i) {
    if (sendto(tx.fd, frame, sizeof frame, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(sizeof frame)) {
      ++sent;
    } else {
      sendErr = errno;  // ENETDOWN on an interface that is down: the control then sees nothing
    }
  }

  // Outgoing copies are queued during the send calls; the wait only covers a slow softirq.
  int seenByMember = 0, seenByControl = 0;
  const uint64_t deadline = monotonicNs() + static_cast<uint64_t>(kProbeWaitMs) * 1000000ull;
  for (;;) {
    seenByMember += drainOutgoing(member.fd, frame + ETH_HLEN, nonceLen);
    seenByControl += drainOutgoing(control.fd, frame + ETH_HLEN, nonceLen);
    if (seenByControl >= sent) break;
    const uint64_t now = monotonicNs();
    if (now >= deadline) break;
    pollfd p[2] = {{member.fd, POLLIN, 0}, {control.fd, POLLIN, 0}};
    if (poll(p, 2, static_cast<int>((deadline - now) / 1000000 + 1)) < 0 && errno != EINTR) fail("poll");
  }
  // A last look: an outgoing copy for the member may trail the control's.
  seenByMember += drainOutgoing(member.fd, frame + ETH_HLEN, nonceLen);

  std::string effective;
  std::string message;
  if (!accepted) {
    effective = "false";
    message = std::string("setsockopt(PACKET_FANOUT, hash|UNIQUEID") + (omitFlag ? "" : "|IGNORE_OUTGOING") +
              "): " + std::strerror(fanoutErr);
  } else if (seenByControl == 0) {
    effective = "null";
    message = "the control socket saw none of the " + std::to_string(kProbeFrames) + " frames sent on " + ifname +
              " (" + std::to_string(sent) + " sent" + (sendErr ? std::string(", send: ") + std::strerror(sendErr) : "") +
              "): cannot tell whether outgoing frames are ignored";
  } else if (seenByMember == 0) {
    effective = "true";
  } else {
    effective = "false";
    message = "the fanout group received " + std::to_string(seenByMember) + " outgoing frame(s): " +
              (omitFlag ? "the flag was not set (--omit-flag)"
                        : "the kernel accepts PACKET_FANOUT_FLAG_IGNORE_OUTGOING but ignores it (before Linux 6.7)");
  }
  std::printf("{\"accepted\":%s,\"effective\":%s,\"framesSent\":%d,\"outgoingSeenByGroup\":%d,\"outgoingSeenByControl\":%d",
              accepted ? "true" : "false", effective.c_str(), sent, seenByMember, seenByControl);
  if (!accepted) std::printf(",\"errno\":%s", jsonString(errnoName(fanoutErr)).c_str());
  if (!message.empty()) std::printf(",\"message\":%s", jsonString(message).c_str());
  std::printf("}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  try {
    // Subcommand flags start after the subcommand: FlagReader skips argv[0].
    if (sub == "mroute") return probeMroute(argc - 1, argv + 1);
    if (sub == "timer") return probeTimer(argc - 1, argv + 1);
    if (sub == "fanout-ignore-outgoing") return probeFanoutIgnoreOutgoing(argc - 1, argv + 1);
    usageError(sub.empty() ? "a subcommand is required" : "unknown subcommand '" + sub + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mcr-probe: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  } catch (const Failure& f) {
    std::fprintf(stderr, "mcr-probe %s: %s: %s (%s)\n", sub.c_str(), f.what.c_str(), std::strerror(f.err),
                 errnoName(f.err).c_str());
    return 1;
  }
}
