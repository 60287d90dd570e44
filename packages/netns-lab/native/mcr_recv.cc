// mcr-recv: sequence-aware multicast receiver for the netns lab.
//
// One socket per stream, bound to GROUP:PORT with IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) off, so a
// socket only sees its own group even when other sockets in the namespace joined other groups on
// the same port (the default of 1 would deliver them all: see the field notes). Joins use the
// protocol-independent MCAST_JOIN_GROUP, or MCAST_JOIN_SOURCE_GROUP with --source (an IGMPv3 /
// MLDv2 source-specific join). epoll over the sockets plus a signalfd; recvmmsg drains each ready
// socket in batches.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "payload.hpp"
#include "stream_stats.hpp"

using namespace mcr;

// Linux 4.20+; older libc headers lack the name.
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

namespace {

constexpr const char* kUsage =
    "usage: mcr-recv --stream GROUP:PORT [--stream ...] --interface IFNAME [--source ADDR]\n"
    "                [--expect N] [--duration SEC] [--idle-ms MS] [--rcvbuf BYTES] [--first-id N] [--json]\n"
    "  --stream      group and port to receive, [GROUP]:PORT for IPv6 (e.g. [ff3e::1:1]:5001);\n"
    "                stream id = 0-based order (repeatable; IPv4 and IPv6 streams may mix)\n"
    "  --interface   interface to join the groups on (group_req.gr_interface)\n"
    "  --source      source-specific join (MCAST_JOIN_SOURCE_GROUP): receive every group only\n"
    "                from this sender address; every stream must be of its family\n"
    "  --expect      packets expected per stream: missing = expect - unique\n"
    "                (without it: highest seq + 1 - unique)\n"
    "  --duration    stop after this many seconds\n"
    "  --idle-ms     stop after this long without packets, once one has arrived\n"
    "  --rcvbuf      socket receive buffer per stream (default 32 MiB); 0 keeps the kernel's\n"
    "                default, as an ordinary receiver has (net.core.rmem_default)\n"
    "  --first-id    the sender's stream id of the first --stream (default 0; the next ones follow):\n"
    "                a receiver of some of a sender's streams, e.g. its stream 3 alone\n"
    "  --json        print { joinedMs, streams: [...], totals: {...} } on stdout; joinedMs and each\n"
    "                stream's firstMs / lastMs (its first and last valid packet, null if none) are\n"
    "                CLOCK_MONOTONIC milliseconds, the clock mcr-send stamps\n"
    "Prints 'ready' on stderr once joined; SIGINT/SIGTERM print the report and exit 0.\n";

constexpr unsigned kBatch = 64;
constexpr size_t kBufSize = kMaxPayload + 64;  // larger than any valid payload: MSG_TRUNC = corrupt
constexpr int kRcvBuf = 32 << 20;

struct Options {
  std::vector<StreamSpec> streams;
  std::string interface;
  bool hasSource = false;
  IpAddress source;
  uint64_t expect = 0;
  double durationSec = 0;
  uint64_t idleMs = 0;
  int64_t rcvbuf = kRcvBuf;  // 0: the kernel's default
  uint64_t firstId = 0;     // the sender's stream id of the first --stream
  bool json = false;
};

Options parseArgs(int argc, char** argv) {
  Options o;
  FlagReader flags(argc, argv);
  std::string flag;
  while (flags.next(flag)) {
    auto next = [&] { return flags.value(); };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (flag == "--stream") {
      o.streams.push_back(parseStream(flag, next()));
    } else if (flag == "--interface") {
      o.interface = next();
      if (o.interface.empty() || o.interface.size() >= IFNAMSIZ) {
        usageError("--interface expects an interface name of 1..15 characters, got '" + o.interface + "'");
      }
    } else if (flag == "--source") {
      const std::string text = next();
      o.source = parseAddress(flag, text);
      if (o.source.isMulticast()) usageError("--source expects a unicast sender address, got '" + text + "'");
      o.hasSource = true;
    } else if (flag == "--expect") {
      o.expect = parseUint(flag, next(), 1, StreamStats::kMaxSeq);
    } else if (flag == "--duration") {
      o.durationSec = parseSeconds(flag, next());
    } else if (flag == "--idle-ms") {
      o.idleMs = parseUint(flag, next(), 1, 86400000);
    } else if (flag == "--first-id") {
      o.firstId = parseUint(flag, next(), 0, UINT32_MAX);
    } else if (flag == "--rcvbuf") {
      o.rcvbuf = static_cast<int64_t>(parseUint(flag, next(), 0, 1u << 30));
    } else if (flag == "--json") {
      if (flags.hasInlineValue()) usageError("--json takes no value");
      o.json = true;
    } else {
      usageError("unknown flag '" + flag + "'");
    }
  }
  if (o.streams.empty()) usageError("--stream GROUP:PORT is required (at least one)");
  if (o.interface.empty()) usageError("--interface IFNAME is required");
  if (o.hasSource) {
    for (const StreamSpec& st : o.streams) {
      if (st.addr.family != o.source.family) {
        usageError(std::string("--source is ") + familyName(o.source.family) + " but stream '" + st.text + "' is " +
                   familyName(st.addr.family));
      }
      if (!st.addr.isMulticast()) usageError("--source applies to multicast streams only, got '" + st.text + "'");
    }
  }
  return o;
}

[[noreturn]] void fail(const std::string& what, const StreamSpec* s = nullptr) {
  std::fprintf(stderr, "mcr-recv: %s%s%s: %s\n", what.c_str(), s ? " for " : "", s ? s->text.c_str() : "",
               std::strerror(errno));
  std::exit(1);
}

int openStreamSocket(const StreamSpec& s, unsigned ifindex, int rcvbuf, const IpAddress* source) {
  const bool v6 = s.addr.family == AF_INET6;
  const int fd = socket(s.addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket", &s);
  const int one = 1, zero = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail("setsockopt(SO_REUSEADDR)", &s);
  // 32 MiB by default: absorbs the bursts a batching relay produces (field notes: TPACKET_V3 at
  // 20 kpps overflowed a 208 KB buffer). 0 keeps the kernel's default, to measure exactly that.
  // FORCE ignores rmem_max; fall back for unprivileged runs.
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) fail("setsockopt(IPV6_V6ONLY)", &s);
  const bool multicast = s.addr.isMulticast();
  if (multicast) {
    const int rc = v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof zero)
                      : setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
    if (rc != 0) fail(v6 ? "setsockopt(IPV6_MULTICAST_ALL=0)" : "setsockopt(IP_MULTICAST_ALL=0)", &s);
  }
  // Bound to the group: a second filter on top of *_MULTICAST_ALL. Link-local and
  // interface-local IPv6 groups (ff02::/16, ff01::/16) need the interface as scope id.
  IpAddress bound = s.addr;
  if (v6 && multicast) bound.u.v6.sin6_scope_id = ifindex;
  if (bind(fd, &bound.u.sa, bound.length()) != 0) fail("bind", &s);
  if (multicast) {
    const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
    if (source) {
      group_source_req req{};
      req.gsr_interface = ifindex;
      std::memcpy(&req.gsr_group, &s.addr.u, s.addr.length());
      std::memcpy(&req.gsr_source, &source->u, source->length());
      if (setsockopt(fd, level, MCAST_JOIN_SOURCE_GROUP, &req, sizeof req) != 0) fail("MCAST_JOIN_SOURCE_GROUP", &s);
    } else {
      group_req req{};
      req.gr_interface = ifindex;
      std::memcpy(&req.gr_group, &s.addr.u, s.addr.length());
      if (setsockopt(fd, level, MCAST_JOIN_GROUP, &req, sizeof req) != 0) fail("MCAST_JOIN_GROUP", &s);
    }
  }
  return fd;
}

// recvmmsg scratch space, shared by all sockets: a batch is fully accounted before the next.
struct RecvBatch {
  std::unique_ptr<uint8_t[]> data{new uint8_t[kBufSize * kBatch]};
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  RecvBatch() {
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {data.get() + i * kBufSize, kBufSize};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }
};

// Reads fd until it would block. Returns the number of datagrams read.
uint64_t drain(int fd, uint32_t streamId, StreamStats& st, RecvBatch& b) {
  uint64_t total = 0;
  for (;;) {
    const int n = recvmmsg(fd, b.msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
      fail("recvmmsg");
    }
    const uint64_t now = monotonicNs();  // one clock read per batch: same instant for all of it
    for (int i = 0; i < n; ++i) {
      const size_t len = b.msgs[i].msg_len;
      Header h;
      if ((b.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
          checkPayload(b.data.get() + i * kBufSize, len, &h) != Verdict::Ok) {
        st.onCorrupt();
      } else if (h.stream != streamId) {
        st.onForeign();
      } else {
        st.onValid(h.seq, now > h.sendNs ? now - h.sendNs : 0);
        if (st.firstNs == 0) st.firstNs = now;
        st.lastNs = now;
      }
      b.msgs[i].msg_hdr.msg_flags = 0;
    }
    total += static_cast<uint64_t>(n);
    if (n < static_cast<int>(kBatch)) return total;
  }
}

std::string fmtUs(const LatencyHistogram& h, uint64_t ns) {
  if (h.count() == 0) return "null";  // no sample: no latency, not a zero latency
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1000.0);
  return buf;
}

std::string countsJson(const StreamCounts& c, int64_t missing, const LatencyHistogram& lat) {
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "\"received\":%llu,\"unique\":%llu,\"duplicates\":%llu,\"missing\":%lld,\"reordered\":%llu,"
                "\"corrupt\":%llu,\"foreign\":%llu,\"latencyUs\":{\"p50\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s}",
                static_cast<unsigned long long>(c.received), static_cast<unsigned long long>(c.unique),
                static_cast<unsigned long long>(c.duplicates), static_cast<long long>(missing),
                static_cast<unsigned long long>(c.reordered), static_cast<unsigned long long>(c.corrupt),
                static_cast<unsigned long long>(c.foreign), fmtUs(lat, lat.quantile(0.5)).c_str(),
                fmtUs(lat, lat.quantile(0.99)).c_str(), fmtUs(lat, lat.quantile(0.999)).c_str(),
                fmtUs(lat, lat.max()).c_str());
  return buf;
}

std::string msOrNull(uint64_t ns) {
  if (ns == 0) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

void printReport(const Options& o, const std::vector<StreamStats>& stats, uint64_t joinedNs) {
  StreamCounts totals;
  LatencyHistogram totalLat;
  int64_t totalMissing = 0;
  std::string streams;
  for (size_t i = 0; i < stats.size(); ++i) {
    const StreamStats& st = stats[i];
    const int64_t missing = st.missing(o.expect);
    totals.add(st.counts);
    totalLat.merge(st.latency);
    totalMissing += missing;
    if (o.json) {
      if (i) streams += ",";
      streams += "{\"stream\":" + std::to_string(i) + ",\"group\":" + jsonString(o.streams[i].group) +
                 ",\"port\":" + std::to_string(o.streams[i].port) + "," + countsJson(st.counts, missing, st.latency) +
                 ",\"firstMs\":" + msOrNull(st.firstNs) + ",\"lastMs\":" + msOrNull(st.lastNs) + "}";
    } else {
      std::printf("stream %zu %s: received %llu unique %llu dup %llu missing %lld reordered %llu corrupt %llu "
                  "foreign %llu p50 %sus p99 %sus p99.9 %sus max %sus\n",
                  i, o.streams[i].text.c_str(), static_cast<unsigned long long>(st.counts.received),
                  static_cast<unsigned long long>(st.counts.unique),
                  static_cast<unsigned long long>(st.counts.duplicates), static_cast<long long>(missing),
                  static_cast<unsigned long long>(st.counts.reordered),
                  static_cast<unsigned long long>(st.counts.corrupt),
                  static_cast<unsigned long long>(st.counts.foreign),
                  fmtUs(st.latency, st.latency.quantile(0.5)).c_str(),
                  fmtUs(st.latency, st.latency.quantile(0.99)).c_str(),
                  fmtUs(st.latency, st.latency.quantile(0.999)).c_str(),
                  fmtUs(st.latency, st.latency.max()).c_str());
    }
  }
  if (o.json) {
    std::printf("{\"joinedMs\":%s,\"streams\":[%s],\"totals\":{%s}}\n", msOrNull(joinedNs).c_str(), streams.c_str(),
                countsJson(totals, totalMissing, totalLat).c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  unsigned ifindex = 0;
  try {
    o = parseArgs(argc, argv);
    ifindex = interfaceIndex("--interface", o.interface);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mcr-recv: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }

  // Signals arrive through a signalfd in the epoll set: no handler races with the counters.
  const int sfd = stopSignalFd();
  if (sfd < 0) fail("signalfd");

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;  // marks the signalfd
  if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) != 0) fail("epoll_ctl(signalfd)");

  std::vector<int> fds;
  std::vector<StreamStats> stats(o.streams.size());
  for (size_t i = 0; i < o.streams.size(); ++i) {
    fds.push_back(openStreamSocket(o.streams[i], ifindex, static_cast<int>(o.rcvbuf), o.hasSource ? &o.source : nullptr));
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds.back(), &ev) != 0) fail("epoll_ctl", &o.streams[i]);
  }
  const uint64_t joinedNs = monotonicNs();
  std::fputs("ready\n", stderr);
  std::fflush(stderr);

  RecvBatch batch;
  const uint64_t start = monotonicNs();
  const uint64_t durationNs = o.durationSec > 0 ? static_cast<uint64_t>(o.durationSec * 1e9) : 0;
  const uint64_t idleNs = o.idleMs * 1000000ull;
  bool anyPacket = false;
  uint64_t lastPacket = 0;
  epoll_event events[64];

  for (bool stop = false; !stop;) {
    // Sleep until the nearest of the duration end and the idle deadline (-1: none).
    int timeoutMs = -1;
    const uint64_t now = monotonicNs();
    auto bound = [&](uint64_t deadline) {
      const uint64_t left = deadline > now ? deadline - now : 0;
      const int ms = static_cast<int>((left + 999999) / 1000000);
      if (timeoutMs < 0 || ms < timeoutMs) timeoutMs = ms;
    };
    if (durationNs) bound(start + durationNs);
    if (idleNs && anyPacket) bound(lastPacket + idleNs);

    const int n = epoll_wait(ep, events, 64, timeoutMs);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == UINT64_MAX) {
        stop = true;
        continue;
      }
      if (drain(fds[id], static_cast<uint32_t>(o.firstId + id), stats[id], batch) > 0) {
        anyPacket = true;
        lastPacket = monotonicNs();
      }
    }
    const uint64_t after = monotonicNs();
    if (durationNs && after - start >= durationNs) stop = true;
    if (idleNs && anyPacket && after - lastPacket >= idleNs) stop = true;
  }
  // Count what is already queued: those packets arrived before the stop.
  for (size_t i = 0; i < fds.size(); ++i) drain(fds[i], static_cast<uint32_t>(o.firstId + i), stats[i], batch);
  printReport(o, stats, joinedNs);
  return 0;
}
