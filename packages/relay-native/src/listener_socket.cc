#include "listener_socket.hpp"

#include <linux/if_packet.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "listener_filter.hpp"
#include "listener_wire.hpp"
#include "util/errors.hpp"

namespace mcr {
namespace {

// The socket, filtered, bound and holding ALLMULTI (and with it the interface's ALLMULTI count);
// -1 with `error` set on failure.
int OpenSocket(int ifindex, bool ipv6, SysError& error) {
  packet_mreq membership{};
  membership.mr_type = PACKET_MR_ALLMULTI;
  return OpenPacketSocket(ifindex, ipv6, BuildListenerFilter(ipv6), membership, error);
}

}  // namespace

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
  const int fd = OpenSocket(ifindex_, ipv6_, error);
  OpenReader(env, fd, error, deliver, "mcr.ListenerSocket");
}

ListenerSocket::~ListenerSocket() { StopAndClose(); }

bool ListenerSocket::Parse(const uint8_t* packet, size_t length, PacketEvent& event, const uint8_t*& payload, size_t& payloadLength) const noexcept {
  ListenerPacketView view;
  if (ReadListenerPacket(packet, length, ipv6_, view) != nullptr) return false;
  TakeView(view, ipv6_, event, payload, payloadLength);
  event.routerAlert = view.routerAlert;
  return true;
}

void ListenerSocket::AddFields(Napi::Env env, Napi::Object& packet, const PacketEvent& event) const {
  packet.Set("routerAlert", Napi::Boolean::New(env, event.routerAlert));
}

void ListenerSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> source = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> destination = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> payload = info[2].As<Napi::Buffer<uint8_t>>();
  const std::string destinationText = info[3].As<Napi::String>().Utf8Value();
  if (closed_) throw MakeNativeError(env, EBADF, "sendmsg", interfaceName_, destinationText);
  const std::vector<uint8_t> header = BuildListenerHeader(ipv6_, source.Data(), destination.Data(), payload.Length(), nextId_++);
  if (const int err = SendFrame(destination.Data(), header, payload.Data(), payload.Length())) throw MakeNativeError(env, err, "sendmsg", interfaceName_, destinationText);
}

Napi::Value ListenerSocket::Counters(const Napi::CallbackInfo& info) { return CountersObject(info.Env()); }

void ListenerSocket::Close(const Napi::CallbackInfo& info) { StopAndClose(); }

}  // namespace mcr
