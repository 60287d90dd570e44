// mcr-send: sequence-numbered UDP (multicast) sender for the netns lab.
//
// One unconnected UDP socket; sendmmsg batches with a msg_name per message, so any number of
// streams share one syscall. Packet k of the run goes to stream k % S with the (k / S)-th
// sequence number of that stream: the round robin and the per-stream counts follow from k alone,
// which makes a partial sendmmsg (ENOBUFS) easy to resume: the unsent packets are rebuilt.
// Rate control: a token bucket on CLOCK_MONOTONIC over the aggregate (see Pacer).
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "payload.hpp"

using namespace mcr;

namespace {

constexpr const char* kUsage =
    "usage: mcr-send --stream GROUP:PORT [--stream ...] [--rate PPS] [--count N | --duration SEC]\n"
    "                [--size BYTES] [--ttl N] [--interface IFNAME] [--batch N]\n"
    "                [--seq-list 0,1,1,3] [--corrupt SEQ] [--json]\n"
    "  --stream      destination GROUP:PORT, or [GROUP]:PORT for IPv6 (e.g. [ff3e::1:1]:5001); stream ids\n"
    "                are the 0-based order of --stream (repeatable); all streams of one family\n"
    "  --rate        aggregate packets per second over all streams; 0 = unthrottled (default 0)\n"
    "  --count       packets per stream (default: until --duration, or SIGINT/SIGTERM)\n"
    "  --duration    seconds to send (decimals allowed)\n"
    "  --size        UDP payload bytes, 64..8972 (default 1000)\n"
    "  --ttl         IPv4 TTL (IP_MULTICAST_TTL / IP_TTL) or IPv6 hop limit\n"
    "                (IPV6_MULTICAST_HOPS / IPV6_UNICAST_HOPS), 1..255 (default 16)\n"
    "  --interface   egress interface for multicast (IP_MULTICAST_IF / IPV6_MULTICAST_IF by ifindex)\n"
    "  --batch       messages per sendmmsg, 1..1024 (default 32)\n"
    "  --seq-list    send exactly these sequence numbers, in this order, on every stream\n"
    "  --corrupt     flip a payload byte after the checksum of this seq (repeatable)\n"
    "  --json        print { sent, perStream, elapsedNs, offeredPps, achievedPps, errors }\n";

struct Options {
  std::vector<StreamSpec> streams;
  uint64_t rate = 0;
  bool hasCount = false;
  uint64_t count = 0;
  double durationSec = 0;  // 0: none
  size_t size = 1000;
  int ttl = 16;
  std::string interface;
  unsigned batch = 32;
  bool hasSeqList = false;
  std::vector<uint64_t> seqList;
  std::set<uint64_t> corrupt;
  bool json = false;
};

volatile sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

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
    } else if (flag == "--rate") {
      o.rate = parseUint(flag, next(), 0, 100000000);
    } else if (flag == "--count") {
      o.hasCount = true;
      o.count = parseUint(flag, next(), 1, UINT64_MAX / 1024);
    } else if (flag == "--duration") {
      o.durationSec = parseSeconds(flag, next());
    } else if (flag == "--size") {
      o.size = parseUint(flag, next(), kMinPayload, kMaxPayload);
    } else if (flag == "--ttl") {
      o.ttl = static_cast<int>(parseUint(flag, next(), 1, 255));
    } else if (flag == "--interface") {
      o.interface = next();
      if (o.interface.empty() || o.interface.size() >= IFNAMSIZ) {
        usageError("--interface expects an interface name of 1..15 characters, got '" + o.interface + "'");
      }
    } else if (flag == "--batch") {
      o.batch = static_cast<unsigned>(parseUint(flag, next(), 1, 1024));
    } else if (flag == "--seq-list") {
      o.hasSeqList = true;
      o.seqList = parseSeqList(flag, next());
    } else if (flag == "--corrupt") {
      o.corrupt.insert(parseUint(flag, next(), 0, UINT64_MAX));
    } else if (flag == "--json") {
      if (flags.hasInlineValue()) usageError("--json takes no value");
      o.json = true;
    } else {
      usageError("unknown flag '" + flag + "'");
    }
  }
  if (o.streams.empty()) usageError("--stream GROUP:PORT is required (at least one)");
  for (const StreamSpec& st : o.streams) {
    if (st.addr.family != o.streams[0].addr.family) {
      usageError("--stream: all streams must be of one family (one socket): '" + o.streams[0].text + "' is " +
                 familyName(o.streams[0].addr.family) + ", '" + st.text + "' is " + familyName(st.addr.family));
    }
  }
  if (o.hasSeqList && o.hasCount) usageError("--seq-list and --count are exclusive: the list sets the count");
  return o;
}

// Token bucket over the aggregate rate. Tokens accrue at `rate` per second from the start;
// the bucket holds at most `depth` tokens, so after a stall the sender catches up with a burst
// of at most `depth` packets and beyond that loses the time (achievedPps then shows it).
// Times are relative to the start in double ns: exact to well below 1 ns over hours.
class Pacer {
 public:
  Pacer(uint64_t rate, unsigned batch) : rate_(rate) {
    if (rate_ == 0) return;
    interval_ = 1e9 / static_cast<double>(rate_);
    // 20 ms worth of packets (at least one batch). Measured here: the sender loses the CPU for
    // 6-12 ms dozens of times in 2 s; with a 1 ms bucket that cost 3-5 % of the offered rate
    // at 100-500 kpps, with 20 ms the achieved rate is within 0.01 %. The price: after such a
    // stall the backlog leaves as a burst at the sender's full speed.
    depth_ = std::max<double>(batch, static_cast<double>(rate_) / 50.0);
  }
  // How many packets may go now (<= want), waiting if none may. Returns 0 only if stopped.
  uint64_t acquire(uint64_t want, uint64_t startNs) {
    if (rate_ == 0) return want;
    for (;;) {
      const double now = static_cast<double>(monotonicNs() - startNs);
      // Clamp the credit to the bucket depth: "next" may lag "now" by depth intervals at most.
      if (now - next_ > depth_ * interval_) next_ = now - depth_ * interval_;
      if (now >= next_) {
        const double due = std::floor((now - next_) / interval_) + 1;
        return due < static_cast<double>(want) ? static_cast<uint64_t>(due) : want;
      }
      if (gStop) return 0;
      const double wait = next_ - now;
      if (wait > 20000) {
        // Far ahead: sleep to the absolute deadline (timer slack is 1 ns, see main). Waking late
        // only makes a few packets due at once; the schedule itself does not drift.
        const uint64_t deadline = startNs + static_cast<uint64_t>(next_);
        timespec ts{static_cast<time_t>(deadline / 1000000000ull), static_cast<long>(deadline % 1000000000ull)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      } else {
        __builtin_ia32_pause();  // close: spin, a sleep would overshoot
      }
    }
  }
  void consumed(uint64_t n) {
    if (rate_ != 0) next_ += static_cast<double>(n) * interval_;
  }

 private:
  uint64_t rate_;
  double interval_ = 0;
  double depth_ = 0;
  double next_ = 0;
};

int openSocket(const Options& o) {
  const int family = o.streams[0].addr.family;
  const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("mcr-send: socket");
    std::exit(1);
  }
  auto must = [&](int rc, const char* what) {
    if (rc != 0) {
      std::fprintf(stderr, "mcr-send: %s: %s\n", what, std::strerror(errno));
      std::exit(1);
    }
  };
  const int ttl = o.ttl;
  // The lab's receivers live in other namespaces; looping back would only cost CPU here.
  const int loop = 0;
  if (family == AF_INET6) {
    must(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl), "setsockopt(IPV6_MULTICAST_HOPS)");
    must(setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl), "setsockopt(IPV6_UNICAST_HOPS)");
    const unsigned loop6 = 0;
    must(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop6, sizeof loop6), "setsockopt(IPV6_MULTICAST_LOOP)");
    if (!o.interface.empty()) {
      const int ifindex = static_cast<int>(interfaceIndex("--interface", o.interface));
      must(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex), "setsockopt(IPV6_MULTICAST_IF)");
    }
  } else {
    must(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl), "setsockopt(IP_MULTICAST_TTL)");
    must(setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), "setsockopt(IP_TTL)");
    must(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop), "setsockopt(IP_MULTICAST_LOOP)");
    if (!o.interface.empty()) {
      ip_mreqn mreq{};
      mreq.imr_ifindex = static_cast<int>(interfaceIndex("--interface", o.interface));
      must(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq), "setsockopt(IP_MULTICAST_IF)");
    }
  }
  // A deep send buffer keeps sendmmsg from blocking on short bursts; FORCE needs CAP_NET_ADMIN.
  const int sndbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  return fd;
}

struct Result {
  uint64_t sent = 0;
  std::vector<uint64_t> perStream;
  uint64_t elapsedNs = 0;
  uint64_t errors = 0;
};

Result run(const Options& o, int fd) {
  const size_t nStreams = o.streams.size();
  // Total packets in the run; UINT64_MAX = until --duration or a signal.
  uint64_t total = UINT64_MAX;
  if (o.hasSeqList) total = o.seqList.size() * nStreams;
  else if (o.hasCount) total = o.count * nStreams;

  // Destinations with their ports, IPv4 or IPv6 (one family: checked in parseArgs).
  std::vector<IpAddress> dests(nStreams);
  for (size_t s = 0; s < nStreams; ++s) dests[s] = o.streams[s].addr;
  const socklen_t destLen = dests[0].length();
  // One zeroed buffer per batch slot: writePayload only rewrites the header and pattern words.
  std::unique_ptr<uint8_t[]> bufs(new uint8_t[o.size * o.batch]());
  std::vector<iovec> iov(o.batch);
  std::vector<mmsghdr> msgs(o.batch);
  std::vector<char> flipped(o.batch, 0);
  for (unsigned i = 0; i < o.batch; ++i) {
    iov[i] = {bufs.get() + i * o.size, o.size};
    msgs[i].msg_hdr = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_namelen = destLen;
  }

  Result r;
  r.perStream.assign(nStreams, 0);
  Pacer pacer(o.rate, o.batch);
  const uint64_t start = monotonicNs();
  const uint64_t durationNs = o.durationSec > 0 ? static_cast<uint64_t>(o.durationSec * 1e9) : 0;
  const bool anyCorrupt = !o.corrupt.empty();
  uint64_t k = 0;  // index of the next packet of the run
  uint64_t lastSendEnd = start;

  while (k < total && !gStop) {
    if (durationNs && monotonicNs() - start >= durationNs) break;
    const uint64_t want = std::min<uint64_t>(o.batch, total - k);
    const uint64_t n = pacer.acquire(want, start);
    if (n == 0) break;
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t p = k + i;
      const uint32_t stream = static_cast<uint32_t>(p % nStreams);
      const uint64_t idx = p / nStreams;
      const uint64_t seq = o.hasSeqList ? o.seqList[idx] : idx;
      uint8_t* buf = bufs.get() + i * o.size;
      writePayload(buf, o.size, stream, seq, monotonicNs());
      sealPayload(buf, o.size);
      if (anyCorrupt && o.corrupt.count(seq)) {
        buf[corruptOffset(o.size)] ^= 0xff;  // after the checksum: the receiver must flag it
        flipped[i] = 1;
      }
      msgs[i].msg_hdr.msg_name = &dests[stream].u.sa;
    }
    const int rc = sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
    lastSendEnd = monotonicNs();
    if (anyCorrupt) {
      // Undo flips so the zero fill stays zero for the next packet built in that slot.
      for (uint64_t i = 0; i < n; ++i) {
        if (flipped[i]) bufs[i * o.size + corruptOffset(o.size)] ^= 0xff;
        flipped[i] = 0;
      }
    }
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOMEM) {
        // Queue full: count it, back off briefly and rebuild the same packets next round.
        ++r.errors;
        const timespec ts{0, 50000};
        nanosleep(&ts, nullptr);
        continue;
      }
      std::fprintf(stderr, "mcr-send: sendmmsg: %s\n", std::strerror(errno));
      std::exit(1);
    }
    for (int i = 0; i < rc; ++i) ++r.perStream[(k + i) % nStreams];
    k += static_cast<uint64_t>(rc);
    r.sent += static_cast<uint64_t>(rc);
    pacer.consumed(static_cast<uint64_t>(rc));
    if (static_cast<uint64_t>(rc) < n) ++r.errors;  // partial batch: the rest is retried
  }
  r.elapsedNs = lastSendEnd - start;
  return r;
}

void printResult(const Options& o, const Result& r) {
  const double secs = static_cast<double>(r.elapsedNs) / 1e9;
  const double achieved = secs > 0 ? static_cast<double>(r.sent) / secs : 0;
  if (o.json) {
    std::string per;
    for (size_t i = 0; i < r.perStream.size(); ++i) {
      if (i) per += ",";
      per += std::to_string(r.perStream[i]);
    }
    std::printf(
        "{\"sent\":%llu,\"perStream\":[%s],\"elapsedNs\":%llu,\"offeredPps\":%llu,\"achievedPps\":%.1f,"
        "\"errors\":%llu}\n",
        static_cast<unsigned long long>(r.sent), per.c_str(), static_cast<unsigned long long>(r.elapsedNs),
        static_cast<unsigned long long>(o.rate), achieved, static_cast<unsigned long long>(r.errors));
  } else {
    std::printf("mcr-send: sent %llu packets on %zu stream(s) in %.3f s: %.0f pps (offered %s), %llu errors\n",
                static_cast<unsigned long long>(r.sent), r.perStream.size(), secs, achieved,
                o.rate ? std::to_string(o.rate).c_str() : "unthrottled",
                static_cast<unsigned long long>(r.errors));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parseArgs(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mcr-send: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }
  // No SA_RESTART: a blocked sendmmsg or sleep returns EINTR and the loop sees gStop.
  struct sigaction sa{};
  sa.sa_handler = onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // 1 ns timer slack: the pacer's absolute sleeps wake as close to the deadline as possible.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int fd;
  try {
    fd = openSocket(o);
  } catch (const UsageError& e) {  // an --interface that does not exist here
    std::fprintf(stderr, "mcr-send: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }
  const Result r = run(o, fd);
  close(fd);
  printResult(o, r);
  return 0;
}
