// mcr-send: sequence-numbered UDP (multicast) sender for the netns lab.
//
// One unconnected UDP socket; sendmmsg batches with a msg_name per message, so any number of
// streams share one syscall. Packet k of the run goes to stream k % S with the (k / S)-th
// sequence number of that stream: the round robin and the per-stream counts follow from k alone,
// which makes a partial sendmmsg (ENOBUFS) easy to resume: the unsent packets are rebuilt.
// Rate control: a token bucket on CLOCK_MONOTONIC over the aggregate (see Pacer).
//
// Two ways past one core's UDP output path, both sending the same payloads:
// --raw          complete Ethernet/IP/UDP frames through an AF_PACKET socket that bypasses the
//                qdisc (raw_frame.hpp): no route lookup, no socket accounting per datagram. A
//                frame the device drops comes back as ENOBUFS and is sent again, where a UDP
//                socket would drop it silently.
// --senders N    the streams dealt round robin to N forked processes (stream i to process
//                i % N), each pacing its share of --rate; the parent folds their counts into
//                one report. Processes never outlive the parent (PR_SET_PDEATHSIG) and get
//                its SIGINT/SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
#include "inet_csum.hpp"
#include "payload.hpp"
#include "raw_frame.hpp"

using namespace mcr;

namespace {

constexpr const char* kUsage =
    "usage: mcr-send --stream GROUP:PORT [--stream ...] [--rate PPS] [--count N | --duration SEC]\n"
    "                [--size BYTES] [--ttl N] [--interface IFNAME] [--batch N]\n"
    "                [--seq-list 0,1,1,3] [--corrupt SEQ] [--raw] [--senders N] [--json]\n"
    "  --stream      destination GROUP:PORT, or [GROUP]:PORT for IPv6 (e.g. [ff3e::1:1]:5001); stream ids\n"
    "                are the 0-based order of --stream (repeatable); all streams of one family\n"
    "  --rate        aggregate packets per second over all streams; 0 = unthrottled (default 0)\n"
    "  --count       packets per stream (default: until --duration, or SIGINT/SIGTERM)\n"
    "  --duration    seconds to send (decimals allowed)\n"
    "  --size        UDP payload bytes, " MCR_RANGE(PAYLOAD) "\n"
    "  --ttl         IPv4 TTL (IP_MULTICAST_TTL / IP_TTL) or IPv6 hop limit\n"
    "                (IPV6_MULTICAST_HOPS / IPV6_UNICAST_HOPS), 1..255 (default 16)\n"
    "  --interface   egress interface for multicast (IP_MULTICAST_IF / IPV6_MULTICAST_IF by ifindex)\n"
    "  --batch       messages per sendmmsg, 1..1024 (default 32)\n"
    "  --seq-list    send exactly these sequence numbers, in this order, on every stream\n"
    "  --corrupt     flip a payload byte after the checksum of this seq (repeatable)\n"
    "  --raw         send complete Ethernet/IP/UDP frames through an AF_PACKET socket on --interface\n"
    "                (required) with PACKET_QDISC_BYPASS: multicast groups only (the destination MAC\n"
    "                comes from the group), the interface's MAC and address as source, no\n"
    "                fragmentation (the packet must fit the MTU); the same payloads as without it.\n"
    "                Bypassing the qdisc, the frames skip any tc qdisc on the interface (netem, tbf)\n"
    "  --senders     split the streams over N processes, " MCR_RANGE(SENDERS) ": stream i goes to process\n"
    "                i % N (at most one process per stream), each sends its share of --rate; one report\n"
    "  --json        print { sent, perStream, elapsedNs, offeredPps, achievedPps, errors }\n";

struct Options {
  std::vector<StreamSpec> streams;
  uint64_t rate = 0;
  bool hasCount = false;
  uint64_t count = 0;
  double durationSec = 0;  // 0: none
  size_t size = kPayload.fallback;
  int ttl = 16;
  std::string interface;
  unsigned batch = 32;
  bool hasSeqList = false;
  std::vector<uint64_t> seqList;
  std::set<uint64_t> corrupt;
  bool raw = false;
  unsigned senders = kSenders.fallback;
  bool json = false;
  // The id each of `streams` carries in its payloads: its position on the command line, also
  // when a process of --senders sends only some of the streams.
  std::vector<uint32_t> streamIds;
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
    } else if (flag == "--raw") {
      if (flags.hasInlineValue()) usageError("--raw takes no value");
      o.raw = true;
    } else if (flag == "--senders") {
      o.senders = static_cast<unsigned>(parseUint(flag, next(), kSenders.min, kSenders.max));
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
  if (o.raw) {
    if (o.interface.empty()) usageError("--raw needs --interface: the AF_PACKET socket sends on one interface");
    for (const StreamSpec& st : o.streams) {
      if (!st.addr.isMulticast()) {
        usageError("--raw sends to multicast groups only (the destination MAC comes from the group), got '" + st.text + "'");
      }
    }
  }
  for (size_t i = 0; i < o.streams.size(); ++i) o.streamIds.push_back(static_cast<uint32_t>(i));
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

[[noreturn]] void sysFail(const char* what) {
  std::fprintf(stderr, "mcr-send: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// Where run() sends: a UDP socket, or (--raw) an AF_PACKET socket with a frame template per stream.
struct Transport {
  int fd = -1;
  bool raw = false;
  // --raw: the bound UDP socket that reserves the source port the frames carry.
  int portFd = -1;
  std::vector<FrameTemplate> frames;  // per stream, in the order of Options::streams
  sockaddr_ll to{};                   // every frame's destination: the interface and EtherType
  void closeAll() {
    if (fd >= 0) close(fd);
    if (portFd >= 0) close(portFd);
    fd = portFd = -1;
  }
};

// A deep send buffer keeps sendmmsg from blocking on short bursts; FORCE needs CAP_NET_ADMIN.
void deepSendBuffer(int fd) {
  const int sndbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
}

Transport openRaw(const Options& o, const LinkInfo& link) {
  const int family = o.streams[0].addr.family;
  Transport t;
  t.raw = true;
  // Protocol 0: the socket only sends; with ETH_P_ALL it would also receive a copy of every frame.
  t.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (t.fd < 0) sysFail("socket(AF_PACKET, SOCK_RAW)");
  const int one = 1;
  if (setsockopt(t.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) sysFail("setsockopt(PACKET_QDISC_BYPASS)");
  deepSendBuffer(t.fd);
  // The source port a UDP socket of this process would have, held for the run so no other socket
  // takes it.
  t.portFd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (t.portFd < 0) sysFail("socket (source port)");
  IpAddress any;
  any.family = family;
  any.u.sa.sa_family = static_cast<sa_family_t>(family);
  if (bind(t.portFd, &any.u.sa, any.length()) != 0) sysFail("bind (source port)");
  socklen_t len = any.length();
  if (getsockname(t.portFd, &any.u.sa, &len) != 0) sysFail("getsockname (source port)");
  const uint16_t srcPort = ntohs(family == AF_INET6 ? any.u.v6.sin6_port : any.u.v4.sin_port);
  for (const StreamSpec& st : o.streams) t.frames.push_back(buildFrameTemplate(link, st.addr, srcPort, o.ttl, o.size));
  t.to.sll_family = AF_PACKET;
  t.to.sll_ifindex = static_cast<int>(link.ifindex);
  t.to.sll_protocol = htons(family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
  t.to.sll_halen = 6;
  multicastMac(o.streams[0].addr, t.to.sll_addr);  // unused for SOCK_RAW: each frame carries its own
  return t;
}

Transport openUdp(const Options& o) {
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
  deepSendBuffer(fd);
  Transport t;
  t.fd = fd;
  return t;
}

struct Result {
  uint64_t sent = 0;
  std::vector<uint64_t> perStream;
  uint64_t elapsedNs = 0;
  uint64_t errors = 0;
  double achievedPps = 0;
};

double ratePps(uint64_t sent, uint64_t elapsedNs) {
  return elapsedNs > 0 ? static_cast<double>(sent) * 1e9 / static_cast<double>(elapsedNs) : 0;
}

Result run(const Options& o, const Transport& t) {
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
  // --raw: the slot is a whole frame, the payload after the template's headers (one family, so
  // one header length for every stream).
  const size_t payloadOff = t.raw ? t.frames[0].headerLen : 0;
  const size_t slotSize = payloadOff + o.size;
  std::unique_ptr<uint8_t[]> bufs(new uint8_t[slotSize * o.batch]());
  std::vector<iovec> iov(o.batch);
  std::vector<mmsghdr> msgs(o.batch);
  std::vector<char> flipped(o.batch, 0);
  for (unsigned i = 0; i < o.batch; ++i) {
    iov[i] = {bufs.get() + i * slotSize, slotSize};
    msgs[i].msg_hdr = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (t.raw) {
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_ll*>(&t.to);
      msgs[i].msg_hdr.msg_namelen = sizeof t.to;
    } else {
      msgs[i].msg_hdr.msg_namelen = destLen;
    }
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
      uint8_t* frame = bufs.get() + i * slotSize;
      uint8_t* buf = frame + payloadOff;
      writePayload(buf, o.size, o.streamIds[stream], seq, monotonicNs());
      sealPayload(buf, o.size);
      if (anyCorrupt && o.corrupt.count(seq)) {
        buf[corruptOffset(o.size)] ^= 0xff;  // after the checksum: the receiver must flag it
        flipped[i] = 1;
      }
      if (t.raw) {
        const FrameTemplate& ft = t.frames[stream];
        std::memcpy(frame, ft.bytes, payloadOff);
        // The UDP checksum covers the flipped byte too: the datagram must reach mcr-recv, which
        // is the one to find the payload corrupt.
        finishUdpChecksum(frame, ft, flipped[i] ? csumAdd(0, buf, o.size) : payloadCsum(buf, o.size));
      } else {
        msgs[i].msg_hdr.msg_name = &dests[stream].u.sa;
      }
    }
    const int rc = sendmmsg(t.fd, msgs.data(), static_cast<unsigned>(n), 0);
    lastSendEnd = monotonicNs();
    if (anyCorrupt) {
      // Undo flips so the zero fill stays zero for the next packet built in that slot.
      for (uint64_t i = 0; i < n; ++i) {
        if (flipped[i]) bufs[i * slotSize + payloadOff + corruptOffset(o.size)] ^= 0xff;
        flipped[i] = 0;
      }
    }
    if (rc < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOMEM) {
        // Queue full (--raw: the device dropped the first frame): count it, back off briefly and
        // rebuild the same packets next round.
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
  r.achievedPps = ratePps(r.sent, r.elapsedNs);
  return r;
}

void printResult(const Options& o, const Result& r) {
  const double secs = static_cast<double>(r.elapsedNs) / 1e9;
  const double achieved = r.achievedPps;
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

// ---- --senders: one process per share of the streams -------------------------------------

// The options of each process: stream i goes to process i % N, with its id; each process's rate
// is its share of --rate in proportion to its streams (the shares add up to --rate, none below 1
// pps, since 0 would mean unthrottled). At most one process per stream.
std::vector<Options> splitStreams(const Options& o) {
  const size_t nStreams = o.streams.size();
  const size_t n = std::min<size_t>(o.senders, nStreams);
  if (n <= 1) return {o};
  std::vector<Options> plans(n, o);
  for (Options& p : plans) {
    p.streams.clear();
    p.streamIds.clear();
  }
  for (size_t i = 0; i < nStreams; ++i) {
    plans[i % n].streams.push_back(o.streams[i]);
    plans[i % n].streamIds.push_back(o.streamIds[i]);
  }
  uint64_t before = 0;  // streams of the processes before this one
  for (Options& p : plans) {
    const uint64_t after = before + p.streams.size();
    if (o.rate > 0) {
      p.rate = std::max<uint64_t>(1, o.rate * after / nStreams - o.rate * before / nStreams);
    }
    before = after;
  }
  return plans;
}

// The children, for the parent's signal handler: filled before the handler is installed.
pid_t gChildren[kSenders.max];
int gChildCount = 0;

void forwardSignal(int sig) {
  gStop = 1;
  for (int i = 0; i < gChildCount; ++i) kill(gChildren[i], sig);
}

bool writeAll(int fd, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    const ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// A child's report to the parent, in host order: sent, elapsedNs, errors, perStream[...].
std::vector<uint64_t> encodeResult(const Result& r) {
  std::vector<uint64_t> words = {r.sent, r.elapsedNs, r.errors};
  words.insert(words.end(), r.perStream.begin(), r.perStream.end());
  return words;
}

// Runs every plan in its own process and prints one report in the shape of a single sender's.
// The transports were opened by the caller, so a failure to open one ended the run before any
// process started.
int runForked(const Options& o, const std::vector<Options>& plans, std::vector<Transport>& transports) {
  struct Child {
    pid_t pid = -1;
    int fd = -1;
    std::vector<uint8_t> data;
  };
  std::vector<Child> children(plans.size());
  const pid_t parent = getpid();
  std::fflush(nullptr);  // nothing buffered may be written twice
  for (size_t k = 0; k < plans.size(); ++k) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) sysFail("pipe2");
    const pid_t pid = fork();
    if (pid < 0) {
      // Stop the ones already running; their reports are not wanted.
      for (size_t j = 0; j < k; ++j) kill(children[j].pid, SIGTERM);
      sysFail("fork");
    }
    if (pid == 0) {
      // No child outlives the parent, even one killed with SIGKILL.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      close(fds[0]);
      for (size_t j = 0; j < transports.size(); ++j) {
        if (j != k) transports[j].closeAll();
      }
      const Result r = run(plans[k], transports[k]);
      const std::vector<uint64_t> words = encodeResult(r);
      _exit(writeAll(fds[1], words.data(), words.size() * sizeof(uint64_t)) ? 0 : 1);
    }
    close(fds[1]);
    children[k].pid = pid;
    children[k].fd = fds[0];
    gChildren[k] = pid;
    gChildCount = static_cast<int>(k + 1);
  }
  for (Transport& t : transports) t.closeAll();

  struct sigaction sa{};
  sa.sa_handler = forwardSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (gStop) forwardSignal(SIGTERM);  // a signal that came while the children were forked

  // Read every report to its end (a child's EOF means it exited); one that ends short is a child
  // that failed (it said why on stderr): the others are stopped then.
  bool failed = false;
  size_t open = children.size();
  std::vector<pollfd> pfds(children.size());
  while (open > 0) {
    for (size_t k = 0; k < children.size(); ++k) pfds[k] = {children[k].fd, POLLIN, 0};
    if (poll(pfds.data(), pfds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      sysFail("poll");
    }
    for (size_t k = 0; k < children.size(); ++k) {
      Child& c = children[k];
      if (c.fd < 0 || !(pfds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      uint8_t buf[4096];
      const ssize_t n = read(c.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        c.data.insert(c.data.end(), buf, buf + n);
        continue;
      }
      close(c.fd);
      c.fd = -1;
      --open;
      if (c.data.size() != (3 + plans[k].streams.size()) * sizeof(uint64_t) && !failed) {
        failed = true;
        gStop = 1;
        for (const Child& other : children) kill(other.pid, SIGTERM);
      }
    }
  }
  for (size_t k = 0; k < children.size(); ++k) {
    int status = 0;
    while (waitpid(children[k].pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (WIFSIGNALED(status)) {
        std::fprintf(stderr, "mcr-send: sender process %zu of %zu (pid %d) was killed by signal %d\n", k + 1,
                     children.size(), children[k].pid, WTERMSIG(status));
      } else {
        std::fprintf(stderr, "mcr-send: sender process %zu of %zu (pid %d) exited with status %d\n", k + 1,
                     children.size(), children[k].pid, WEXITSTATUS(status));
      }
      failed = true;
    }
  }
  if (failed) return 1;

  // One report: perStream in --stream order, counts and rates summed, the longest elapsed time.
  Result total;
  total.perStream.assign(o.streams.size(), 0);
  for (size_t k = 0; k < children.size(); ++k) {
    std::vector<uint64_t> words(children[k].data.size() / sizeof(uint64_t));
    std::memcpy(words.data(), children[k].data.data(), children[k].data.size());
    const uint64_t sent = words[0], elapsedNs = words[1], errors = words[2];
    total.sent += sent;
    total.errors += errors;
    total.elapsedNs = std::max(total.elapsedNs, elapsedNs);
    total.achievedPps += ratePps(sent, elapsedNs);
    for (size_t j = 0; j < plans[k].streams.size(); ++j) total.perStream[plans[k].streamIds[j]] = words[3 + j];
  }
  printResult(o, total);
  return 0;
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

  // Every socket is opened here, before any process starts: a refusal ends the run at once.
  const std::vector<Options> plans = splitStreams(o);
  std::vector<Transport> transports;
  try {
    if (o.raw) {
      const LinkInfo link = readLinkInfo(o.interface, o.streams[0].addr.family, o.size);
      for (const Options& p : plans) transports.push_back(openRaw(p, link));
    } else {
      for (const Options& p : plans) transports.push_back(openUdp(p));
    }
  } catch (const UsageError& e) {  // an --interface that does not exist here, or cannot carry --raw
    std::fprintf(stderr, "mcr-send: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }
  if (plans.size() > 1) return runForked(o, plans, transports);
  const Result r = run(o, transports[0]);
  transports[0].closeAll();
  printResult(o, r);
  return 0;
}
