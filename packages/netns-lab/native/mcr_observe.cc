// mcr-observe: a passive observer of one L2 segment for the netns lab.
//
// An AF_PACKET socket on --interface records, with the time each frame reached the interface, every
// lab datagram (a UDP payload that mcr-send wrote: stream and seq) and every IGMP / MLD message
// (queries, reports, leaves, with their group records). It joins nothing and sends nothing, so
// it does not count as a listener: what it sees is what the segment carries (on a bridge without
// snooping, or behind a bridge port set as a multicast router port).
//
// Times are CLOCK_MONOTONIC milliseconds, the clock mcr-send stamps and mcr-recv reads: the kernel's
// receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME) moved to the monotonic clock by the offset
// between the two clocks read once at start, so a busy observer does not stretch the delays it
// measures by its own scheduling latency.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_util.hpp"
#include "payload.hpp"

using namespace mcr;

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace {

constexpr const char* kUsage =
    "usage: mcr-observe --interface IFNAME [--duration SEC]\n"
    "  --interface   the interface to observe (an AF_PACKET socket; joins nothing, sends nothing)\n"
    "  --duration    stop after this many seconds (default: until SIGINT/SIGTERM)\n"
    "Prints one JSON object per line on stdout, t = CLOCK_MONOTONIC ms at arrival:\n"
    "  {\"t\":T,\"kind\":\"data\",\"group\":G,\"port\":P,\"stream\":N,\"seq\":S}   a valid lab payload\n"
    "  {\"t\":T,\"kind\":\"igmp\"|\"mld\",\"src\":A,\"dst\":D,\"type\":TYPE,\"group\":G,\"maxRespMs\":M,\n"
    "   \"records\":[{\"type\":R,\"group\":G,\"sources\":[...]}]}\n"
    "  TYPE: query (with \"version\"), report (v1/v2 reports: \"version\"), leave (IGMPv2 leave,\n"
    "  MLDv1 done), v3report (IGMPv3 / MLDv2 report with records).\n"
    "Prints 'ready' on stderr once bound; SIGINT/SIGTERM end it with exit 0.\n";

uint64_t clockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string ip4(const uint8_t* p) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, p, buf, sizeof buf);
  return buf;
}

std::string ip6(const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, p, buf, sizeof buf);
  return buf;
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

std::string fmtMs(uint64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

void emit(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
}

void dataLine(const std::string& t, const std::string& group, uint16_t port, const uint8_t* payload, size_t len) {
  Header h;
  if (checkPayload(payload, len, &h) != Verdict::Ok) return;  // not a lab datagram
  emit("{\"t\":" + t + ",\"kind\":\"data\",\"group\":" + jsonString(group) + ",\"port\":" + std::to_string(port) +
       ",\"stream\":" + std::to_string(h.stream) + ",\"seq\":" + std::to_string(h.seq) + "}");
}

// IGMPv3 max resp code / MLDv2 max resp code in their floating-point form (RFC 3376 4.1.1, RFC 3810 5.1.3).
uint64_t igmpCodeDs(uint8_t code) {  // tenths of a second
  if (code < 128) return code;
  return static_cast<uint64_t>((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}
uint64_t mldCodeMs(uint16_t code) {
  if (code < 32768) return code;
  return static_cast<uint64_t>((code & 0x0fff) | 0x1000) << (((code >> 12) & 0x07) + 3);
}

// The group records of an IGMPv3 (addrLen 4) or MLDv2 (16) report as JSON, from its record count at
// offset 6: type, aux length (words), source count, group, sources, aux data.
std::string recordsJson(const uint8_t* m, size_t len, size_t addrLen, std::string (*addr)(const uint8_t*)) {
  const unsigned n = be16(m + 6);
  size_t off = 8;
  std::string records;
  for (unsigned r = 0; r < n && off + 4 + addrLen <= len; ++r) {
    const size_t aux = m[off + 1] * 4u;
    const unsigned ns = be16(m + off + 2);
    const size_t first = off + 4 + addrLen;
    std::string srcs;
    for (unsigned s = 0; s < ns && first + addrLen * (s + 1) <= len; ++s) srcs += (s ? "," : "") + jsonString(addr(m + first + addrLen * s));
    records += std::string(r ? "," : "") + "{\"type\":" + std::to_string(m[off]) + ",\"group\":" + jsonString(addr(m + off + 4)) +
               ",\"sources\":[" + srcs + "]}";
    off = first + addrLen * ns + aux;
  }
  return "[" + records + "]";
}

void igmpLine(const std::string& t, const uint8_t* ip, const uint8_t* m, size_t len) {
  if (len < 8) return;
  const std::string head = "{\"t\":" + t + ",\"kind\":\"igmp\",\"src\":" + jsonString(ip4(ip + 12)) + ",\"dst\":" + jsonString(ip4(ip + 16));
  const uint8_t type = m[0];
  if (type == 0x11) {
    const int version = len >= 12 ? 3 : (m[1] == 0 ? 1 : 2);
    const uint64_t ms = version == 3 ? igmpCodeDs(m[1]) * 100 : static_cast<uint64_t>(m[1]) * 100;
    emit(head + ",\"type\":\"query\",\"version\":" + std::to_string(version) + ",\"group\":" + jsonString(ip4(m + 4)) +
         ",\"maxRespMs\":" + std::to_string(ms) + "}");
  } else if (type == 0x12 || type == 0x16) {
    emit(head + ",\"type\":\"report\",\"version\":" + (type == 0x12 ? "1" : "2") + ",\"group\":" + jsonString(ip4(m + 4)) + "}");
  } else if (type == 0x17) {
    emit(head + ",\"type\":\"leave\",\"version\":2,\"group\":" + jsonString(ip4(m + 4)) + "}");
  } else if (type == 0x22) {
    emit(head + ",\"type\":\"v3report\",\"version\":3,\"records\":" + recordsJson(m, len, 4, ip4) + "}");
  }
}

void mldLine(const std::string& t, const uint8_t* ip6h, const uint8_t* m, size_t len) {
  if (len < 24) return;
  const std::string head = "{\"t\":" + t + ",\"kind\":\"mld\",\"src\":" + jsonString(ip6(ip6h + 8)) + ",\"dst\":" + jsonString(ip6(ip6h + 24));
  const uint8_t type = m[0];
  if (type == 130) {
    const int version = len >= 28 ? 2 : 1;
    const uint64_t ms = version == 2 ? mldCodeMs(be16(m + 4)) : be16(m + 4);
    emit(head + ",\"type\":\"query\",\"version\":" + std::to_string(version) + ",\"group\":" + jsonString(ip6(m + 8)) +
         ",\"maxRespMs\":" + std::to_string(ms) + "}");
  } else if (type == 131) {
    emit(head + ",\"type\":\"report\",\"version\":1,\"group\":" + jsonString(ip6(m + 8)) + "}");
  } else if (type == 132) {
    emit(head + ",\"type\":\"leave\",\"version\":1,\"group\":" + jsonString(ip6(m + 8)) + "}");
  } else if (type == 143) {
    emit(head + ",\"type\":\"v3report\",\"version\":2,\"records\":" + recordsJson(m, len, 16, ip6) + "}");
  }
}

void frame(uint64_t tNs, const uint8_t* f, size_t len) {
  if (len < 14) return;
  const uint16_t ethertype = be16(f + 12);
  const std::string t = fmtMs(tNs);
  if (ethertype == ETH_P_IP && len >= 34) {
    const uint8_t* ip = f + 14;
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    const size_t total = be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || 14 + total > len || total < ihl) return;
    const uint8_t* l4 = ip + ihl;
    const size_t l4len = total - ihl;
    if (ip[9] == IPPROTO_UDP && l4len >= 8) dataLine(t, ip4(ip + 16), be16(l4 + 2), l4 + 8, l4len - 8);
    else if (ip[9] == IPPROTO_IGMP) igmpLine(t, ip, l4, l4len);
  } else if (ethertype == ETH_P_IPV6 && len >= 54) {
    const uint8_t* ip = f + 14;
    size_t end = 14 + 40 + be16(ip + 4);
    if (end > len) return;
    uint8_t next = ip[6];
    size_t off = 14 + 40;
    // Hop-by-hop (MLD's router alert), routing and destination options headers.
    while ((next == 0 || next == 43 || next == 60) && off + 8 <= end) {
      next = f[off];
      off += (f[off + 1] + 1u) * 8u;
    }
    if (off > end) return;
    if (next == IPPROTO_UDP && end - off >= 8) dataLine(t, ip6(ip + 24), be16(f + off + 2), f + off + 8, end - off - 8);
    else if (next == IPPROTO_ICMPV6) mldLine(t, ip, f + off, end - off);
  }
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "mcr-observe: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string ifname;
  double durationSec = 0;
  unsigned ifindex = 0;
  try {
    FlagReader flags(argc, argv);
    std::string flag;
    while (flags.next(flag)) {
      if (flag == "--help" || flag == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      } else if (flag == "--interface") {
        ifname = flags.value();
      } else if (flag == "--duration") {
        durationSec = parseSeconds(flag, flags.value());
      } else {
        usageError("unknown flag '" + flag + "'");
      }
    }
    if (ifname.empty()) usageError("--interface IFNAME is required");
    ifindex = interfaceIndex("--interface", ifname);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mcr-observe: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }

  const int sfd = stopSignalFd();
  if (sfd < 0) fail("signalfd");

  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) fail("socket(AF_PACKET)");
  const int one = 1;
  // Frames this namespace sends itself (its own MLD reports for solicited-node groups) are not the segment's.
  if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0) fail("setsockopt(PACKET_IGNORE_OUTGOING)");
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) fail("setsockopt(SO_TIMESTAMPNS)");
  const int rcvbuf = 32 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) fail("bind(AF_PACKET)");

  // realtime - monotonic, read back to back: converts the kernel's receive stamps.
  const uint64_t mono0 = clockNs(CLOCK_MONOTONIC);
  const uint64_t real0 = clockNs(CLOCK_REALTIME);
  const uint64_t mono1 = clockNs(CLOCK_MONOTONIC);
  const int64_t offset = static_cast<int64_t>(real0) - static_cast<int64_t>((mono0 + mono1) / 2);

  std::fputs("ready\n", stderr);
  std::fflush(stderr);
  const uint64_t start = monotonicNs();
  const uint64_t durationNs = durationSec > 0 ? static_cast<uint64_t>(durationSec * 1e9) : 0;
  static uint8_t buf[65536];
  alignas(cmsghdr) char control[256];
  pollfd pfds[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
  for (;;) {
    int timeoutMs = -1;
    if (durationNs) {
      const uint64_t now = monotonicNs();
      if (now - start >= durationNs) break;
      timeoutMs = static_cast<int>((durationNs - (now - start) + 999999) / 1000000);
    }
    const int n = poll(pfds, 2, timeoutMs);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (pfds[1].revents) break;
    if (!(pfds[0].revents & POLLIN)) continue;
    for (;;) {
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t len = recvmsg(fd, &msg, MSG_DONTWAIT);
      if (len < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail("recvmsg");
      }
      uint64_t t = monotonicNs();
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          const int64_t real = static_cast<int64_t>(ts.tv_sec) * 1000000000ll + ts.tv_nsec;
          if (real > offset) t = static_cast<uint64_t>(real - offset);
        }
      }
      frame(t, buf, static_cast<size_t>(len));
    }
  }
  std::fflush(stdout);
  return 0;
}
