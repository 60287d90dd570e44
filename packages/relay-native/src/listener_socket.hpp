// ListenerSocket: the router side of IGMP (IPv4) or MLD (IPv6) on one interface. It hears every
// IGMP / MLD packet that arrives there and sends the messages it is given (queries) with the IP
// header a router puts on them. No multicast routing is needed (MRT_INIT, raw IGMP sockets): an
// AF_PACKET socket, cooked (SOCK_DGRAM), bound to the interface and to ETH_P_IP / ETH_P_IPV6, with
// - a classic BPF filter that passes only IGMP / MLD that this host received (listener_filter.hpp);
// - PACKET_IGNORE_OUTGOING, so the socket never hears its own queries. A socket bound to one protocol
//   does not get the host's outgoing frames in the first place (the kernel hands those to ETH_P_ALL
//   taps only, measured: the tests pass without the option and the filter's pkt_type check), so this
//   and the filter are the second and third guard, for the day the socket listens more widely;
// - PACKET_ADD_MEMBERSHIP PACKET_MR_ALLMULTI while it is open, so a NIC's multicast filter passes
//   IGMPv2 / MLDv1 reports, which go to the group reported, whatever group that is.
//
// A reader std::thread polls the socket and an eventfd, checks each packet's IP layer
// (listener_wire.hpp: malformed ones are counted and dropped) and hands the good ones to JS through a
// bounded thread-safe function with NonBlockingCall: the reader never waits for JS, and a full queue
// drops (counted). Receive errors travel the same way, as errno + call; the error object is built on
// the JS thread. The reader never touches Napi otherwise, and no exception leaves it.
//
// close() (and the destructor, and an environment cleanup hook as a backstop) stops the reader through
// the eventfd, joins it, closes both descriptors (the kernel drops the ALLMULTI reference) and aborts the
// thread-safe function: nothing is delivered after close(), and the event loop is free to end. While
// open, the thread-safe function keeps the event loop alive, as a bound dgram socket does.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "util/cleanup_hook.hpp"
#include "util/loop_thread.hpp"

namespace mcr {

class ListenerSocket;

// What the reader hands to JS: a packet, or (err != 0) a receive error.
struct ListenerEvent {
  int err = 0;
  const char* syscall = "";
  uint8_t source[16] = {};
  uint8_t destination[16] = {};
  uint8_t sourceMac[6] = {};
  uint8_t hopLimit = 0;
  bool routerAlert = false;
  std::vector<uint8_t> payload;
};

// Runs on the JS thread (env null: the function is being torn down; only frees the event).
void DeliverListenerEvent(Napi::Env env, Napi::Function deliver, ListenerSocket* socket, ListenerEvent* event);

class ListenerSocket : public Napi::ObjectWrap<ListenerSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  // (interfaceName, ifindex, ipv6, deliver(packet | null, error | null))
  explicit ListenerSocket(const Napi::CallbackInfo& info);
  ~ListenerSocket() override;

 private:
  friend void DeliverListenerEvent(Napi::Env, Napi::Function, ListenerSocket*, ListenerEvent*);
  using Deliver = Napi::TypedThreadSafeFunction<ListenerSocket, ListenerEvent, DeliverListenerEvent>;

  // (source: Buffer(4|16), destination: Buffer(4|16), payload: Buffer, destinationText)
  void Send(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void Run() noexcept;                                 // the reader thread
  void Drain(std::vector<uint8_t>& buffer) noexcept;   // reader: everything queued, in bounded rounds
  void Hand(ListenerEvent* event) noexcept;            // reader: to JS, or dropped when the queue is full
  void Report(int err, const char* syscall) noexcept;  // reader: a receive error
  void Pause() noexcept;                               // reader: a short wait after an error, or the stop
  void StopAndClose() noexcept;                        // idempotent; joins the reader, closes everything
  void AccumulateKernelDrops() noexcept;               // JS thread

  std::string interfaceName_;
  int ifindex_ = 0;
  bool ipv6_ = false;
  int fd_ = -1;
  Deliver deliver_;
  bool deliverActive_ = false;
  LoopThread reader_;
  bool closed_ = false;
  uint16_t nextId_ = 0;  // IPv4 identification of the packets sent

  // Written by one thread each (the reader: the receive side; the JS thread: the send side).
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> droppedMalformed_{0};
  std::atomic<uint64_t> droppedBacklog_{0};
  std::atomic<uint64_t> receiveErrors_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> sendErrors_{0};
  uint64_t kernelDrops_ = 0;  // JS thread: PACKET_STATISTICS, which resets on every read

  // Declared last: removed before anything else goes.
  CleanupHook cleanup_{[](void* self) { static_cast<ListenerSocket*>(self)->StopAndClose(); }, this};
};

}  // namespace mcr
