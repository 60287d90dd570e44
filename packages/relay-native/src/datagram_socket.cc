#include "datagram_socket.hpp"

#include <linux/if_packet.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "datagram_filter.hpp"
#include "datagram_wire.hpp"
#include "util/errors.hpp"
#include "util/multicast_mac.hpp"

namespace mcr {
namespace {

// The socket, filtered, bound and holding the group's MAC in the interface's filter; -1 with
// `error` set on failure.
int OpenSocket(int ifindex, bool ipv6, const uint8_t* group, uint16_t port, SysError& error) {
  packet_mreq membership{};
  membership.mr_type = PACKET_MR_MULTICAST;
  membership.mr_alen = 6;
  MulticastMac(ipv6, group, membership.mr_address);
  return OpenPacketSocket(ifindex, ipv6, BuildDatagramFilter(ipv6, group, port), membership, error);
}

}  // namespace

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
  const int fd = OpenSocket(ifindex_, ipv6_, group_, port_, error);
  OpenReader(env, fd, error, deliver, "mcr.DatagramSocket");
}

DatagramSocket::~DatagramSocket() { StopAndClose(); }

bool DatagramSocket::Parse(const uint8_t* packet, size_t length, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) const noexcept {
  DatagramView view;
  if (ReadDatagram(packet, length, ipv6_, view) != nullptr) return false;
  TakeView(view, ipv6_, event, payload, payloadLength);
  event.sourcePort = view.sourcePort;
  return true;
}

void DatagramSocket::AddFields(Napi::Env env, Napi::Object& packet, const PacketEvent& event) const {
  packet.Set("sourcePort", Napi::Number::New(env, event.sourcePort));
}

void DatagramSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> source = info[0].As<Napi::Buffer<uint8_t>>();
  const uint16_t sourcePort = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  const uint8_t hopLimit = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
  Napi::Buffer<uint8_t> payload = info[3].As<Napi::Buffer<uint8_t>>();
  if (closed_) throw MakeNativeError(env, EBADF, "sendmsg", interfaceName_);
  const std::vector<uint8_t> header =
      BuildDatagramHeader(ipv6_, source.Data(), sourcePort, group_, port_, hopLimit, payload.Data(), payload.Length(), nextId_++);
  if (const int err = SendFrame(group_, header, payload.Data(), payload.Length())) throw MakeNativeError(env, err, "sendmsg", interfaceName_);
}

Napi::Value DatagramSocket::Counters(const Napi::CallbackInfo& info) { return CountersObject(info.Env()); }

void DatagramSocket::Close(const Napi::CallbackInfo& info) { StopAndClose(); }

}  // namespace mcr
