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
// The reader, its queue to JS, its counters and its teardown are PacketReader's (util/packet_reader.hpp);
// this socket parses each packet's IP layer (listener_wire.hpp: malformed ones are counted and dropped).
// close() closes the descriptor, and the kernel drops the ALLMULTI reference with it.
#pragma once

#include <napi.h>

#include <cstdint>

#include "util/packet_reader.hpp"

namespace mcr {

class ListenerSocket : public Napi::ObjectWrap<ListenerSocket>, public PacketReader {
 public:
  static Napi::Function Define(Napi::Env env);
  // (interfaceName, ifindex, ipv6, deliver(packet | null, error | null))
  explicit ListenerSocket(const Napi::CallbackInfo& info);
  ~ListenerSocket() override;

 private:
  // (source: Buffer(4|16), destination: Buffer(4|16), payload: Buffer, destinationText)
  void Send(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  bool Parse(const uint8_t* packet, size_t length, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) const noexcept override;
  void AddFields(Napi::Env env, Napi::Object& packet, const PacketEvent& event) const override;

  uint16_t nextId_ = 0;  // IPv4 identification of the packets sent
};

}  // namespace mcr
