// DatagramSocket: the UDP datagrams to one multicast group and port on one interface, heard and sent
// below the host's UDP stack, for a discovery reflector (mDNS, SSDP, WS-Discovery). An AF_PACKET
// socket, cooked (SOCK_DGRAM), bound to the interface and to ETH_P_IP / ETH_P_IPV6, with
// - a classic BPF filter that passes only UDP to the group and port that this host received
//   (datagram_filter.hpp): not its own outgoing frames, not frames for other hosts;
// - PACKET_IGNORE_OUTGOING, a second guard against hearing what it sends;
// - a PACKET_MR_MULTICAST membership for the group's MAC while it is open, so a NIC's multicast
//   filter passes the group (a snooping switch or bridge still needs an IGMP/MLD join: the socket
//   sends none).
// Each datagram is handed over with what a reflector needs: IP source and destination, source port,
// TTL / hop limit, source MAC. send() builds the IP and UDP headers (checksums included,
// datagram_wire.hpp) with any source address and port, so a reflected datagram can keep its sender's.
//
// Threading and teardown as ListenerSocket's (listener_socket.hpp): a reader std::thread, a bounded
// thread-safe function with NonBlockingCall (a full queue drops, counted), errno recorded on the reader
// and the error built on the JS thread, no exception leaving the thread; close() (destructor, cleanup
// hook) joins the reader, closes both descriptors and aborts the function.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "util/cleanup_hook.hpp"
#include "util/loop_thread.hpp"

namespace mcr {

class DatagramSocket;

// What the reader hands to JS: a datagram, or (err != 0) a receive error.
struct DatagramEvent {
  int err = 0;
  const char* syscall = "";
  uint8_t source[16] = {};
  uint8_t destination[16] = {};
  uint8_t sourceMac[6] = {};
  uint16_t sourcePort = 0;
  uint8_t hopLimit = 0;
  std::vector<uint8_t> payload;
};

// Runs on the JS thread (env null: the function is being torn down; only frees the event).
void DeliverDatagramEvent(Napi::Env env, Napi::Function deliver, DatagramSocket* socket, DatagramEvent* event);

class DatagramSocket : public Napi::ObjectWrap<DatagramSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  // (interfaceName, ifindex, ipv6, group: Buffer(4|16), port, deliver(datagram | null, error | null))
  explicit DatagramSocket(const Napi::CallbackInfo& info);
  ~DatagramSocket() override;

 private:
  friend void DeliverDatagramEvent(Napi::Env, Napi::Function, DatagramSocket*, DatagramEvent*);
  using Deliver = Napi::TypedThreadSafeFunction<DatagramSocket, DatagramEvent, DeliverDatagramEvent>;

  // (source: Buffer(4|16), sourcePort, hopLimit, payload: Buffer, sourceText)
  void Send(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void Run() noexcept;
  void Drain(std::vector<uint8_t>& buffer) noexcept;
  void Hand(DatagramEvent* event) noexcept;
  void Report(int err, const char* syscall) noexcept;
  void Pause() noexcept;
  void StopAndClose() noexcept;
  void AccumulateKernelDrops() noexcept;

  std::string interfaceName_;
  std::string groupText_;
  int ifindex_ = 0;
  bool ipv6_ = false;
  uint8_t group_[16] = {};
  uint16_t port_ = 0;
  int fd_ = -1;
  Deliver deliver_;
  bool deliverActive_ = false;
  LoopThread reader_;
  bool closed_ = false;
  uint16_t nextId_ = 0;

  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> droppedMalformed_{0};
  std::atomic<uint64_t> droppedBacklog_{0};
  std::atomic<uint64_t> receiveErrors_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> sendErrors_{0};
  uint64_t kernelDrops_ = 0;

  // Declared last: removed before anything else goes.
  CleanupHook cleanup_{[](void* self) { static_cast<DatagramSocket*>(self)->StopAndClose(); }, this};
};

}  // namespace mcr
