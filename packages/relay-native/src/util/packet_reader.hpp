// PacketReader: what ListenerSocket (IGMP / MLD) and DatagramSocket (discovery UDP) share below their
// protocols. An AF_PACKET descriptor read by a std::thread (LoopThread: poll on the socket and an
// eventfd) in bounded rounds; each packet parsed by the socket (Parse: its IP layer and protocol, on
// the reader) into an event, handed to JS through a bounded thread-safe function with NonBlockingCall
// (the reader never waits for JS; a full queue drops, counted droppedBacklog). Receive errors travel
// the same way as errno + call; the error object is built on the JS thread. The reader never touches
// Napi, and no exception leaves it. Counters are atomics, each written by one thread (the reader: the
// receive side; the JS thread: the send side); PACKET_STATISTICS is read on the JS thread.
//
// No allocation and no lock per packet: events come from a pool made at open (EventPool, one more
// than the queue holds, plus the one being delivered) through a single-producer single-consumer ring
// of free events (the JS thread gives back, the reader takes; an event the queue refused stays with
// the reader as its spare). An event keeps its payload buffer's capacity, so a buffer grows only for
// a payload longer than any it held before. The pool is the thread-safe function's context and is
// freed by its finalizer; the events still queued at teardown (handed over with env null, before or
// after the finalizer) are the pool's and are left alone, never given back to freed memory.
//
// StopAndClose() (close(), the destructors, the environment cleanup hook) stops the reader through the
// eventfd, joins it, closes both descriptors and aborts the function: nothing is delivered after it,
// and the event loop is free to end. While open the function keeps the event loop alive, as a bound
// dgram socket does. A socket calls StopAndClose() in its own destructor: its Parse runs on the reader.
#pragma once

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <napi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "util/cleanup_hook.hpp"
#include "util/errors.hpp"
#include "util/loop_thread.hpp"

namespace mcr {

// A cooked (SOCK_DGRAM) AF_PACKET socket for a PacketReader: PACKET_IGNORE_OUTGOING, `program`
// attached before the bind names the interface and the family's protocol (nothing is queued
// unfiltered), then `membership` added (held by the socket: the kernel drops it when it closes).
// -1 with `error` set on failure.
int OpenPacketSocket(int ifindex, bool ipv6, const std::vector<sock_filter>& program, packet_mreq membership, SysError& error);

// What the reader hands to JS: a packet, or (err != 0) a receive error.
struct PacketEvent {
  int err = 0;
  const char* syscall = "";
  uint8_t source[16] = {};
  uint8_t destination[16] = {};
  uint8_t sourceMac[6] = {};
  uint8_t hopLimit = 0;
  uint16_t sourcePort = 0;   // DatagramSocket
  bool routerAlert = false;  // ListenerSocket
  std::vector<uint8_t> payload;
};

// A parsed view's common fields (addresses, hop limit) into `event`, and where its payload is.
template <typename View>
void TakeView(const View& view, bool ipv6, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) noexcept {
  const size_t addressBytes = ipv6 ? 16 : 4;
  std::memcpy(event.source, view.source, addressBytes);
  std::memcpy(event.destination, view.destination, addressBytes);
  event.hopLimit = view.hopLimit;
  payload = view.payload;
  payloadLength = view.payloadLength;
}

class PacketReader;

// A fixed set of events and the ring of the free ones: the reader takes, the JS thread gives back.
class EventPool {
 public:
  explicit EventPool(size_t size);  // throws std::bad_alloc
  PacketEvent* Take() noexcept;     // the reader; nullptr when every event is out
  void Give(PacketEvent* event) noexcept;  // the JS thread

  PacketReader* owner = nullptr;  // JS thread: null once the socket is closed

 private:
  std::unique_ptr<PacketEvent[]> events_;
  std::unique_ptr<PacketEvent*[]> ring_;
  size_t capacity_;
  std::atomic<size_t> head_{0};  // next to take
  std::atomic<size_t> tail_{0};  // next free slot
};

// Runs on the JS thread (env null: the function is being torn down; the event is left to the pool).
void DeliverPacketEvent(Napi::Env env, Napi::Function deliver, EventPool* pool, PacketEvent* event);

class PacketReader {
 public:
  PacketReader(const PacketReader&) = delete;
  PacketReader& operator=(const PacketReader&) = delete;

 protected:
  PacketReader() = default;
  virtual ~PacketReader();

  // Takes `fd` (a bound AF_PACKET socket), then opens the eventfd, the pool, the function and the
  // reader. Throws the NativeError (or what Napi threw) after closing what it opened.
  // fd: the opened socket, or negative when opening failed (`opened` says why: thrown as a NativeError).
  void OpenReader(Napi::Env env, int fd, const SysError& opened, Napi::Function deliver, const char* resourceName);
  // The reader: `packet`'s fields into `event` (addresses, hop limit, the protocol's own) and where
  // its payload is; false when it is malformed.
  virtual bool Parse(const uint8_t* packet, size_t length, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) const noexcept = 0;
  // The JS thread: the protocol's own fields on the packet object.
  virtual void AddFields(Napi::Env env, Napi::Object& packet, const PacketEvent& event) const = 0;

  // 0, or the errno of sendmsg (counted): `header` and `payload` to `group`'s MAC on the interface.
  int SendFrame(const uint8_t* group, const std::vector<uint8_t>& header, const uint8_t* payload, size_t length) noexcept;
  Napi::Value CountersObject(Napi::Env env);
  void StopAndClose() noexcept;  // idempotent; joins the reader, closes everything

  std::string interfaceName_;
  int ifindex_ = 0;
  bool ipv6_ = false;
  bool closed_ = false;

 private:
  friend void DeliverPacketEvent(Napi::Env, Napi::Function, EventPool*, PacketEvent*);
  using DeliverFunction = Napi::TypedThreadSafeFunction<EventPool, PacketEvent, DeliverPacketEvent>;

  void Deliver(Napi::Env env, Napi::Function deliver, const PacketEvent& event);  // JS thread
  void Run() noexcept;                                 // the reader thread
  void Drain(std::vector<uint8_t>& buffer) noexcept;   // reader: what is queued, in bounded rounds
  PacketEvent* TakeEvent() noexcept;                   // reader: its spare, else one from the pool
  void Hand(PacketEvent* event) noexcept;              // reader: to JS, or kept as the spare when refused
  void Report(int err, const char* syscall) noexcept;  // reader: a receive error
  void Pause() noexcept;                               // reader: a short wait after an error, or the stop
  void AccumulateKernelDrops() noexcept;               // JS thread

  int fd_ = -1;
  DeliverFunction deliver_;
  bool deliverActive_ = false;
  EventPool* pool_ = nullptr;     // freed by the function's finalizer (or by OpenReader when it never got there)
  PacketEvent* spare_ = nullptr;  // the reader's
  LoopThread reader_;

  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> droppedMalformed_{0};
  std::atomic<uint64_t> droppedBacklog_{0};
  std::atomic<uint64_t> receiveErrors_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> sendErrors_{0};
  uint64_t kernelDrops_ = 0;  // JS thread: PACKET_STATISTICS, which resets on every read

  // Declared last: removed before anything else goes.
  CleanupHook cleanup_{[](void* self) { static_cast<PacketReader*>(self)->StopAndClose(); }, this};
};

}  // namespace mcr
