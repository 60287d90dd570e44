// DatagramSocket: the UDP datagrams to one multicast group and port on one interface, heard and sent
// below the host's UDP stack, for a discovery reflector (mDNS, SSDP, WS-Discovery). An AF_PACKET
// socket, cooked (SOCK_DGRAM), bound to the interface and to ETH_P_IP / ETH_P_IPV6, with
// - a classic BPF filter that passes only UDP to the group and port that this host received
//   (datagram_filter.hpp): not its own outgoing frames, not frames for other hosts;
// - PACKET_IGNORE_OUTGOING, a second guard against hearing what it sends;
// - a PACKET_MR_MULTICAST membership for the group's MAC while it is open, so a NIC's multicast
//   filter passes the group (a snooping switch or bridge still needs an IGMP/MLD join, which this
//   socket does not send: a reflector holds one through the relay's membership owner).
// Each datagram is handed over with what a reflector needs: IP source and destination, source port,
// TTL / hop limit, source MAC. send() builds the IP and UDP headers (checksums included,
// datagram_wire.hpp) with any source address and port, so a reflected datagram can keep its sender's.
//
// The reader, its queue to JS, its counters and its teardown are PacketReader's (util/packet_reader.hpp),
// shared with ListenerSocket.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "util/packet_reader.hpp"

namespace mcr {

class DatagramSocket : public Napi::ObjectWrap<DatagramSocket>, public PacketReader {
 public:
  static Napi::Function Define(Napi::Env env);
  // (interfaceName, ifindex, ipv6, group: Buffer(4|16), port, deliver(datagram | null, error | null))
  explicit DatagramSocket(const Napi::CallbackInfo& info);
  ~DatagramSocket() override;

 private:
  // (source: Buffer(4|16), sourcePort, hopLimit, payload: Buffer)
  void Send(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  bool Parse(const uint8_t* packet, size_t length, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) const noexcept override;
  void AddFields(Napi::Env env, Napi::Object& packet, const PacketEvent& event) const override;

  uint8_t group_[16] = {};
  uint16_t port_ = 0;
  uint16_t nextId_ = 0;
};

}  // namespace mcr
