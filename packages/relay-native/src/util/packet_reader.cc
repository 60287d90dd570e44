#include "util/packet_reader.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "counters.hpp"
#include "util/errors.hpp"
#include "util/multicast_mac.hpp"

namespace mcr {
namespace {

// Room for any IP packet (the total length field is 16 bits): nothing a filter passes is cut.
constexpr size_t kReceiveBytes = 65536;
// Packets read per wake-up before the reader looks at the stop request again.
constexpr int kPacketsPerRound = 64;
// Events waiting for the JS thread; past this the reader drops (droppedBacklog). IGMP and MLD come at
// a few per second per host, discovery in bursts of tens of datagrams.
constexpr size_t kMaxQueuedEvents = 1024;
// The pool: a full queue, the event being delivered, and the reader's spare.
constexpr size_t kPoolEvents = kMaxQueuedEvents + 2;
constexpr int kPacketIgnoreOutgoing = 23;  // PACKET_IGNORE_OUTGOING (Linux 4.20; not in older headers)
// After a receive error the reader waits this long (or until stopped) before it polls again, so an
// error that repeats costs wake-ups, not a core.
constexpr int kErrorPauseMs = 100;

}  // namespace

int OpenPacketSocket(int ifindex, bool ipv6, const std::vector<sock_filter>& program, packet_mreq membership, SysError& error) {
  auto fail = [&](int fd, const char* syscall) {
    error.err = errno;
    error.syscall = syscall;
    if (fd >= 0) close(fd);
    return -1;
  };
  // Protocol 0 at creation: nothing is queued before the filter is attached and the bind names the
  // interface and the protocol.
  const int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(fd, "socket");
  const int one = 1;
  // A kernel without the option (before 4.20) refuses it; the filters drop pkt_type OUTGOING there.
  if (setsockopt(fd, SOL_PACKET, kPacketIgnoreOutgoing, &one, sizeof one) != 0 && errno != ENOPROTOOPT) return fail(fd, "setsockopt");
  sock_fprog fprog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) return fail(fd, "setsockopt");
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
  address.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail(fd, "bind");
  membership.mr_ifindex = ifindex;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof membership) != 0) return fail(fd, "setsockopt");
  return fd;
}

EventPool::EventPool(size_t size) : events_(new PacketEvent[size]), ring_(new PacketEvent*[size + 1]), capacity_(size + 1) {
  for (size_t i = 0; i < size; ++i) ring_[i] = &events_[i];
  tail_.store(size, std::memory_order_relaxed);
}

PacketEvent* EventPool::Take() noexcept {
  const size_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return nullptr;
  PacketEvent* event = ring_[head];
  head_.store((head + 1) % capacity_, std::memory_order_release);
  return event;
}

void EventPool::Give(PacketEvent* event) noexcept {
  // Never full: the ring has one slot more than there are events.
  const size_t tail = tail_.load(std::memory_order_relaxed);
  ring_[tail] = event;
  tail_.store((tail + 1) % capacity_, std::memory_order_release);
}

void DeliverPacketEvent(Napi::Env env, Napi::Function deliver, EventPool* pool, PacketEvent* event) {
  // env null: the function is torn down with events still queued. The pool owns them and its
  // finalizer may have run already: nothing here touches either.
  if (env == nullptr) return;
  // Given back however the call ends (a callback that throws included).
  struct GiveBack {
    EventPool* pool;
    PacketEvent* event;
    ~GiveBack() { pool->Give(event); }
  } giveBack{pool, event};
  if (pool->owner == nullptr) return;  // the socket is closed
  pool->owner->Deliver(env, deliver, *event);
}

PacketReader::~PacketReader() { StopAndClose(); }

void PacketReader::OpenReader(Napi::Env env, int fd, const SysError& opened, Napi::Function deliver, const char* resourceName) {
  if (fd < 0) {
    closed_ = true;
    throw MakeNativeError(env, opened.err, opened.syscall, interfaceName_);
  }
  fd_ = fd;
  SysError error;
  if (!reader_.Open(error)) {
    StopAndClose();
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  EventPool* pool = nullptr;
  try {
    pool = new EventPool(kPoolEvents);
  } catch (const std::bad_alloc&) {
    StopAndClose();
    throw MakeNativeError(env, ENOMEM, "malloc", interfaceName_);
  }
  try {
    deliver_ = DeliverFunction::New(env, deliver, resourceName, kMaxQueuedEvents, 1, pool,
                                    [](Napi::Env, void*, EventPool* context) { delete context; }, static_cast<void*>(nullptr));
  } catch (...) {
    delete pool;
    StopAndClose();
    throw;
  }
  pool_ = pool;
  pool_->owner = this;
  deliverActive_ = true;
  try {
    reader_.Start([this] { Run(); });
  } catch (const std::system_error& e) {
    StopAndClose();
    throw MakeNativeError(env, e.code().value(), "pthread_create", interfaceName_);
  }
  // Added after the thread-safe function, so it runs before the runtime tears that down (LIFO).
  cleanup_.Add(env);
}

void PacketReader::Deliver(Napi::Env env, Napi::Function deliver, const PacketEvent& event) {
  if (event.err != 0) {
    deliver.Call({env.Null(), MakeNativeError(env, event.err, event.syscall, interfaceName_).Value()});
    return;
  }
  const size_t addressBytes = ipv6_ ? 16 : 4;
  Napi::Object packet = Napi::Object::New(env);
  packet.Set("source", Napi::Buffer<uint8_t>::Copy(env, event.source, addressBytes));
  packet.Set("destination", Napi::Buffer<uint8_t>::Copy(env, event.destination, addressBytes));
  packet.Set("payload", Napi::Buffer<uint8_t>::Copy(env, event.payload.data(), event.payload.size()));
  packet.Set("hopLimit", Napi::Number::New(env, event.hopLimit));
  packet.Set("sourceMac", Napi::Buffer<uint8_t>::Copy(env, event.sourceMac, sizeof event.sourceMac));
  AddFields(env, packet, event);
  deliver.Call({packet, env.Null()});
}

int PacketReader::SendFrame(const uint8_t* group, const std::vector<uint8_t>& header, const uint8_t* payload, size_t length) noexcept {
  iovec parts[2] = {{const_cast<uint8_t*>(header.data()), header.size()}, {const_cast<uint8_t*>(payload), length}};
  // Cooked socket: the kernel puts the link header in front, with the interface's own MAC as source.
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ipv6_ ? ETH_P_IPV6 : ETH_P_IP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  MulticastMac(ipv6_, group, to.sll_addr);
  msghdr message{};
  message.msg_name = &to;
  message.msg_namelen = sizeof to;
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  if (sendmsg(fd_, &message, 0) < 0) {
    const int err = errno;
    Bump(sendErrors_, 1);
    return err;
  }
  Bump(sent_, 1);
  return 0;
}

void PacketReader::AccumulateKernelDrops() noexcept {
  tpacket_stats stats{};
  socklen_t length = sizeof stats;
  if (fd_ >= 0 && getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) kernelDrops_ += stats.tp_drops;
}

Napi::Value PacketReader::CountersObject(Napi::Env env) {
  if (!closed_) AccumulateKernelDrops();
  auto number = [&](const std::atomic<uint64_t>& v) { return Napi::Number::New(env, static_cast<double>(v.load(std::memory_order_relaxed))); };
  Napi::Object out = Napi::Object::New(env);
  out.Set("received", number(received_));
  out.Set("droppedMalformed", number(droppedMalformed_));
  out.Set("droppedBacklog", number(droppedBacklog_));
  out.Set("receiveErrors", number(receiveErrors_));
  out.Set("kernelDrops", Napi::Number::New(env, static_cast<double>(kernelDrops_)));
  out.Set("sent", number(sent_));
  out.Set("sendErrors", number(sendErrors_));
  return out;
}

void PacketReader::StopAndClose() noexcept {
  if (closed_) return;
  closed_ = true;
  reader_.Stop();  // the reader polls the eventfd: it returns within one round of reads
  AccumulateKernelDrops();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  reader_.Close();
  if (pool_ != nullptr) pool_->owner = nullptr;
  if (deliverActive_) {
    // Abort, not release: events still queued are not delivered (DeliverPacketEvent with env null),
    // and the function's handle stops holding the event loop. Its finalizer frees the pool.
    deliverActive_ = false;
    deliver_.Abort();
  }
  pool_ = nullptr;
}

void PacketReader::Run() noexcept {
  std::vector<uint8_t> buffer;
  try {
    buffer.resize(kReceiveBytes);
  } catch (const std::bad_alloc&) {
    return Report(ENOMEM, "malloc");
  }
  pollfd fds[2] = {{fd_, POLLIN, 0}, {reader_.eventFd(), POLLIN, 0}};
  while (!reader_.stopRequested()) {
    fds[0].revents = 0;
    fds[1].revents = 0;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Report(errno, "poll");
      Pause();
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLERR) != 0) {
      // A pending socket error (ENETDOWN while the link is down): read, which clears it, and report.
      // The socket is bound again by the kernel when the link comes back up.
      int soError = 0;
      socklen_t length = sizeof soError;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soError, &length) == 0 && soError != 0) Report(soError, "recvfrom");
    }
    if ((fds[0].revents & POLLIN) != 0) Drain(buffer);
  }
}

void PacketReader::Drain(std::vector<uint8_t>& buffer) noexcept {
  for (int i = 0; i < kPacketsPerRound; ++i) {
    sockaddr_ll from{};
    socklen_t fromLength = sizeof from;
    // MSG_TRUNC: the length of the packet, even when it is longer than the buffer.
    const ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      Report(errno, "recvfrom");
      return Pause();
    }
    Bump(received_, 1);
    PacketEvent* event = TakeEvent();
    if (event == nullptr) {  // every event is queued or being delivered: JS is behind
      Bump(droppedBacklog_, 1);
      continue;
    }
    const uint8_t* payload = nullptr;
    size_t payloadLength = 0;
    if (static_cast<size_t>(n) > buffer.size() || !Parse(buffer.data(), static_cast<size_t>(n), *event, payload, payloadLength)) {
      spare_ = event;
      Bump(droppedMalformed_, 1);
      continue;
    }
    try {
      event->payload.assign(payload, payload + payloadLength);  // allocates only past the largest payload yet
    } catch (const std::bad_alloc&) {
      spare_ = event;
      Bump(droppedBacklog_, 1);
      continue;
    }
    event->err = 0;
    event->syscall = "";
    std::memset(event->sourceMac, 0, sizeof event->sourceMac);
    std::memcpy(event->sourceMac, from.sll_addr, from.sll_halen < 6 ? from.sll_halen : 6);
    Hand(event);
  }
}

PacketEvent* PacketReader::TakeEvent() noexcept {
  PacketEvent* event = spare_;
  spare_ = nullptr;
  return event != nullptr ? event : pool_->Take();
}

void PacketReader::Hand(PacketEvent* event) noexcept {
  // napi_queue_full (JS is behind) or napi_closing (torn down): the event stays with the reader, counted.
  if (deliver_.NonBlockingCall(event) != napi_ok) {
    spare_ = event;
    Bump(droppedBacklog_, 1);
  }
}

void PacketReader::Report(int err, const char* syscall) noexcept {
  Bump(receiveErrors_, 1);
  PacketEvent* event = TakeEvent();
  if (event == nullptr) return;
  event->err = err;
  event->syscall = syscall;
  if (deliver_.NonBlockingCall(event) != napi_ok) spare_ = event;
}

void PacketReader::Pause() noexcept {
  pollfd stop{reader_.eventFd(), POLLIN, 0};
  poll(&stop, 1, kErrorPauseMs);
}

}  // namespace mcr
