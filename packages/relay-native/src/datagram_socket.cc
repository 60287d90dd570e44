#include "datagram_socket.hpp"

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
#include "datagram_filter.hpp"
#include "datagram_wire.hpp"
#include "util/multicast_mac.hpp"
#include "util/errors.hpp"

namespace mcr {
namespace {

constexpr int kPacketIgnoreOutgoing = 23;  // PACKET_IGNORE_OUTGOING (Linux 4.20; not in older headers)
// Room for any IP packet (the total length field is 16 bits): nothing the filter passes is cut.
constexpr size_t kReceiveBytes = 65536;
// Packets read per wake-up before the reader looks at the stop request again.
constexpr int kPacketsPerRound = 64;
// Events waiting for the JS thread; past this the reader drops (droppedBacklog). Discovery traffic
// comes in bursts of tens of datagrams (a browser's queries, a device's announcements).
constexpr size_t kMaxQueuedEvents = 1024;
// After a receive error the reader waits this long (or until stopped) before it polls again, so an
// error that repeats costs wake-ups, not a core.
constexpr int kErrorPauseMs = 100;

// The socket, filtered, bound and holding the group's MAC; -1 with `error` set on failure.
int OpenSocket(int ifindex, bool ipv6, const uint8_t* group, uint16_t port, SysError& error) {
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
  const std::vector<sock_filter> program = BuildDatagramFilter(ipv6, group, port);
  sock_fprog fprog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) return fail(fd, "setsockopt");
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ipv6 ? ETH_P_IPV6 : ETH_P_IP);
  address.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail(fd, "bind");
  // Held by this socket: the kernel drops it from the interface's filter when it closes.
  packet_mreq membership{};
  membership.mr_ifindex = ifindex;
  membership.mr_type = PACKET_MR_MULTICAST;
  membership.mr_alen = 6;
  MulticastMac(ipv6, group, membership.mr_address);
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof membership) != 0) return fail(fd, "setsockopt");
  return fd;
}

}  // namespace

void DeliverDatagramEvent(Napi::Env env, Napi::Function deliver, DatagramSocket* socket, DatagramEvent* data) {
  std::unique_ptr<DatagramEvent> event(data);
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
  packet.Set("sourcePort", Napi::Number::New(env, event->sourcePort));
  packet.Set("hopLimit", Napi::Number::New(env, event->hopLimit));
  packet.Set("sourceMac", Napi::Buffer<uint8_t>::Copy(env, event->sourceMac, sizeof event->sourceMac));
  deliver.Call({packet, env.Null()});
}

Napi::Function DatagramSocket::Define(Napi::Env env) {
  return DefineClass(env, "DatagramSocket",
                     {
                         InstanceMethod<&DatagramSocket::Send>("send"),
                         InstanceMethod<&DatagramSocket::Counters>("counters"),
                         InstanceMethod<&DatagramSocket::Close>("close"),
                     });
}

DatagramSocket::DatagramSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatagramSocket>(info) {
  Napi::Env env = info.Env();
  interfaceName_ = info[0].As<Napi::String>().Utf8Value();
  ifindex_ = info[1].As<Napi::Number>().Int32Value();
  ipv6_ = info[2].As<Napi::Boolean>().Value();
  Napi::Buffer<uint8_t> group = info[3].As<Napi::Buffer<uint8_t>>();
  std::memcpy(group_, group.Data(), ipv6_ ? 16 : 4);
  port_ = static_cast<uint16_t>(info[4].As<Napi::Number>().Uint32Value());
  Napi::Function deliver = info[5].As<Napi::Function>();

  SysError error;
  fd_ = OpenSocket(ifindex_, ipv6_, group_, port_, error);
  if (fd_ < 0) {
    closed_ = true;
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  if (!reader_.Open(error)) {
    StopAndClose();
    throw MakeNativeError(env, error.err, error.syscall, interfaceName_);
  }
  try {
    deliver_ = Deliver::New(env, deliver, "mcr.DatagramSocket", kMaxQueuedEvents, 1, this);
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

DatagramSocket::~DatagramSocket() { StopAndClose(); }

void DatagramSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> source = info[0].As<Napi::Buffer<uint8_t>>();
  const uint16_t sourcePort = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  const uint8_t hopLimit = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
  Napi::Buffer<uint8_t> payload = info[3].As<Napi::Buffer<uint8_t>>();
  if (closed_) throw MakeNativeError(env, EBADF, "sendmsg", interfaceName_);
  const std::vector<uint8_t> header =
      BuildDatagramHeader(ipv6_, source.Data(), sourcePort, group_, port_, hopLimit, payload.Data(), payload.Length(), nextId_++);
  iovec parts[2] = {{const_cast<uint8_t*>(header.data()), header.size()}, {payload.Data(), payload.Length()}};
  // Cooked socket: the kernel puts the link header in front, with the interface's own MAC as source.
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ipv6_ ? ETH_P_IPV6 : ETH_P_IP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  MulticastMac(ipv6_, group_, to.sll_addr);
  msghdr message{};
  message.msg_name = &to;
  message.msg_namelen = sizeof to;
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  if (sendmsg(fd_, &message, 0) < 0) {
    const int err = errno;
    Bump(sendErrors_, 1);
    throw MakeNativeError(env, err, "sendmsg", interfaceName_);
  }
  Bump(sent_, 1);
}

void DatagramSocket::AccumulateKernelDrops() noexcept {
  tpacket_stats stats{};
  socklen_t length = sizeof stats;
  if (fd_ >= 0 && getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) kernelDrops_ += stats.tp_drops;
}

Napi::Value DatagramSocket::Counters(const Napi::CallbackInfo& info) {
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

void DatagramSocket::Close(const Napi::CallbackInfo& info) { StopAndClose(); }

void DatagramSocket::StopAndClose() noexcept {
  if (closed_) return;
  closed_ = true;
  reader_.Stop();  // the reader polls the eventfd: it returns within one round of reads
  AccumulateKernelDrops();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  reader_.Close();
  if (deliverActive_) {
    // Abort, not release: events still queued are freed, not delivered.
    deliverActive_ = false;
    deliver_.Abort();
  }
}

void DatagramSocket::Run() noexcept {
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

void DatagramSocket::Drain(std::vector<uint8_t>& buffer) noexcept {
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
    DatagramView view;
    if (static_cast<size_t>(n) > buffer.size() || ReadDatagram(buffer.data(), static_cast<size_t>(n), ipv6_, view) != nullptr) {
      Bump(droppedMalformed_, 1);
      continue;
    }
    DatagramEvent* event = nullptr;
    try {
      event = new DatagramEvent();
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
    event->sourcePort = view.sourcePort;
    Hand(event);
  }
}

void DatagramSocket::Hand(DatagramEvent* event) noexcept {
  // napi_queue_full (JS is behind) or napi_closing (torn down): the event goes, counted.
  if (deliver_.NonBlockingCall(event) != napi_ok) {
    delete event;
    Bump(droppedBacklog_, 1);
  }
}

void DatagramSocket::Report(int err, const char* syscall) noexcept {
  Bump(receiveErrors_, 1);
  DatagramEvent* event = new (std::nothrow) DatagramEvent();
  if (event == nullptr) return;
  event->err = err;
  event->syscall = syscall;
  if (deliver_.NonBlockingCall(event) != napi_ok) delete event;
}

void DatagramSocket::Pause() noexcept {
  pollfd stop{reader_.eventFd(), POLLIN, 0};
  poll(&stop, 1, kErrorPauseMs);
}

}  // namespace mcr
