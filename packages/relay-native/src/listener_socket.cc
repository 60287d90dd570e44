#include "listener_socket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <system_error>

#include "counters.hpp"
#include "listener_filter.hpp"
#include "listener_wire.hpp"
#include "util/multicast_mac.hpp"
#include "util/errors.hpp"

namespace mcr {
namespace {

constexpr int kPacketIgnoreOutgoing = 23;  // PACKET_IGNORE_OUTGOING (Linux 4.20; not in older headers)
// Room for any IP packet (the total length field is 16 bits): nothing the filter passes is cut.
constexpr size_t kReceiveBytes = 65536;
// Packets read per wake-up before the reader looks at the stop request again.
constexpr int kPacketsPerRound = 64;
// Events waiting for the JS thread; past this the reader drops (droppedBacklog). IGMP and MLD come at
// a few per second per host; a general query's answers are spread over its max response time.
constexpr size_t kMaxQueuedEvents = 1024;
// After a receive error the reader waits this long (or until stopped) before it polls again, so an
// error that repeats costs wake-ups, not a core.
constexpr int kErrorPauseMs = 100;

// The socket, filtered, bound and holding ALLMULTI; -1 with `error` set on failure.
int OpenSocket(int ifindex, bool ipv6, SysError& error) {
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
  // A kernel without the option (before 4.20) refuses it; the filter drops pkt_type OUTGOING there.
  if (setsockopt(fd, SOL_PACKET, kPacketIgnoreOutgoing, &one, sizeof one) != 0 && errno != ENOPROTOOPT) return fail(fd, "setsockopt");
  const std::vector<sock_filter> program = BuildListenerFilter(ipv6);
  sock_fprog fprog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) return fail(fd, "setsockopt");
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
  address.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail(fd, "bind");
  // Held by this socket: the kernel drops it (and the interface's ALLMULTI count) when it closes.
  packet_mreq membership{};
  membership.mr_ifindex = ifindex;
  membership.mr_type = PACKET_MR_ALLMULTI;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof membership) != 0) return fail(fd, "setsockopt");
  return fd;
}

}  // namespace

void DeliverListenerEvent(Napi::Env env, Napi::Function deliver, ListenerSocket* socket, ListenerEvent* data) {
  std::unique_ptr<ListenerEvent> event(data);
  // env null: the function is torn down with events still queued. After close() (which aborts the
  // function) nothing more reaches JS either.
  if (env == nullptr || socket->closed_) return;
  if (event->err != 0) {
    deliver.Call({env.Null(), MakeNativeError(env, event->err, event->syscall, socket->interfaceName_).Value()});
    return;
  }
  const size_t addressBytes = socket->ipv6_ ? 16 : 4;
  Napi::Object packet = Napi::Object::New(env);
  packet.Set("source", Napi::Buffer<uint8_t>::Copy(env, event->source, addressBytes));
  packet.Set("destination", Napi::Buffer<uint8_t>::Copy(env, event->destination, addressBytes));
  packet.Set("payload", Napi::Buffer<uint8_t>::Copy(env, event->payload.data(), event->payload.size()));
  packet.Set("hopLimit", Napi::Number::New(env, event->hopLimit));
  packet.Set("routerAlert", Napi::Boolean::New(env, event->routerAlert));
  packet.Set("sourceMac", Napi::Buffer<uint8_t>::Copy(env, event->sourceMac, sizeof event->sourceMac));
  deliver.Call({packet, env.Null()});
}

Napi::Function ListenerSocket::Define(Napi::Env env) {
  return DefineClass(env, "ListenerSocket",
                     {
                         InstanceMethod<&ListenerSocket::Send>("send"),
                         InstanceMethod<&ListenerSocket::Counters>("counters"),
                         InstanceMethod<&ListenerSocket::Close>("close"),
                     });
}

ListenerSocket::ListenerSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ListenerSocket>(info) {
  Napi::Env env = info.Env();
  interfaceName_ = info[0].As<Napi::String>().Utf8Value();
  ifindex_ = info[1].As<Napi::Number>().Int32Value();
  ipv6_ = info[2].As<Napi::Boolean>().Value();
  Napi::Function deliver = info[3].As<Napi::Function>();

  SysError error;
  fd_ = OpenSocket(ifindex_, ipv6_, error);
  if (fd_ < 0) {
    closed_ = true;
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  if (!reader_.Open(error)) {
    StopAndClose();
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  try {
    deliver_ = Deliver::New(env, deliver, "mcr.ListenerSocket", kMaxQueuedEvents, 1, this);
  } catch (...) {
    StopAndClose();
    throw;
  }
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

ListenerSocket::~ListenerSocket() { StopAndClose(); }

void ListenerSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> source = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> destination = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> payload = info[2].As<Napi::Buffer<uint8_t>>();
  const std::string destinationText = info[3].As<Napi::String>().Utf8Value();
  if (closed_) throw MakeNativeError(env, EBADF, "sendmsg", interfaceName_, destinationText);
  const std::vector<uint8_t> header = BuildListenerHeader(ipv6_, source.Data(), destination.Data(), payload.Length(), nextId_++);
  iovec parts[2] = {{const_cast<uint8_t*>(header.data()), header.size()}, {payload.Data(), payload.Length()}};
  // Cooked socket: the kernel puts the link header in front, with the interface's own MAC as source.
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ipv6_ ? ETH_P_IPV6 : ETH_P_IP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  MulticastMac(ipv6_, destination.Data(), to.sll_addr);
  msghdr message{};
  message.msg_name = &to;
  message.msg_namelen = sizeof to;
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  if (sendmsg(fd_, &message, 0) < 0) {
    const int err = errno;
    Bump(sendErrors_, 1);
    throw MakeNativeError(env, err, "sendmsg", interfaceName_, destinationText);
  }
  Bump(sent_, 1);
}

void ListenerSocket::AccumulateKernelDrops() noexcept {
  tpacket_stats stats{};
  socklen_t length = sizeof stats;
  if (fd_ >= 0 && getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) kernelDrops_ += stats.tp_drops;
}

Napi::Value ListenerSocket::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
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

void ListenerSocket::Close(const Napi::CallbackInfo& info) { StopAndClose(); }

void ListenerSocket::StopAndClose() noexcept {
  if (closed_) return;
  closed_ = true;
  reader_.Stop();  // the reader polls the eventfd: it returns within one round of reads
  AccumulateKernelDrops();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  reader_.Close();
  if (deliverActive_) {
    // Abort, not release: events still queued are freed (DeliverListenerEvent with env null), not
    // delivered, and the function's handle stops holding the event loop.
    deliverActive_ = false;
    deliver_.Abort();
  }
}

void ListenerSocket::Run() noexcept {
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

void ListenerSocket::Drain(std::vector<uint8_t>& buffer) noexcept {
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
    ListenerPacketView view;
    if (static_cast<size_t>(n) > buffer.size() || ReadListenerPacket(buffer.data(), static_cast<size_t>(n), ipv6_, view) != nullptr) {
      Bump(droppedMalformed_, 1);
      continue;
    }
    ListenerEvent* event = nullptr;
    try {
      event = new ListenerEvent();
      event->payload.assign(view.payload, view.payload + view.payloadLength);
    } catch (const std::bad_alloc&) {
      delete event;
      Bump(droppedBacklog_, 1);
      continue;
    }
    const size_t addressBytes = ipv6_ ? 16 : 4;
    std::memcpy(event->source, view.source, addressBytes);
    std::memcpy(event->destination, view.destination, addressBytes);
    std::memcpy(event->sourceMac, from.sll_addr, from.sll_halen < 6 ? from.sll_halen : 6);
    event->hopLimit = view.hopLimit;
    event->routerAlert = view.routerAlert;
    Hand(event);
  }
}

void ListenerSocket::Hand(ListenerEvent* event) noexcept {
  // napi_queue_full (JS is behind) or napi_closing (torn down): the event goes, counted.
  if (deliver_.NonBlockingCall(event) != napi_ok) {
    delete event;
    Bump(droppedBacklog_, 1);
  }
}

void ListenerSocket::Report(int err, const char* syscall) noexcept {
  Bump(receiveErrors_, 1);
  ListenerEvent* event = new (std::nothrow) ListenerEvent();
  if (event == nullptr) return;
  event->err = err;
  event->syscall = syscall;
  if (deliver_.NonBlockingCall(event) != napi_ok) delete event;
}

void ListenerSocket::Pause() noexcept {
  pollfd stop{reader_.eventFd(), POLLIN, 0};
  poll(&stop, 1, kErrorPauseMs);
}

}  // namespace mcr
