// Module init. Per-load state (the class constructors) lives in instance data, not globals, so
// the addon can be loaded in several worker_threads at once.
#include <napi.h>

#include <vector>

#include "bench_hot_path.hpp"
#include "data_plane_worker.hpp"
#include "datagram_socket.hpp"
#include "file_lock.hpp"
#include "frame_parser.hpp"
#include "listener_socket.hpp"
#include "membership_socket.hpp"
#include "reference_outputs.hpp"
#include "tc_engine.hpp"

namespace mcr {
namespace {

struct AddonData {
  Napi::FunctionReference dataPlaneWorker;
  Napi::FunctionReference membershipSocket;
  Napi::FunctionReference tcEngine;
  Napi::FunctionReference listenerSocket;
  Napi::FunctionReference datagramSocket;
};

// parseFrame(buffer) -> plain object; addresses as Buffers of 4 or 16 bytes (TS formats them).
Napi::Value ParseFrameJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
  ParsedFrame parsed;
  ParseFrame(frame.Data(), frame.Length(), parsed);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kind", Napi::Number::New(env, static_cast<int>(parsed.kind)));
  if (parsed.kind == FrameKind::Malformed) out.Set("reason", parsed.reason);
  if (parsed.kind == FrameKind::ExtensionHeader) out.Set("nextHeader", Napi::Number::New(env, parsed.nextHeader));
  if (parsed.kind == FrameKind::Udp) {
    out.Set("vlan", Napi::Number::New(env, parsed.vlan));
    if (parsed.ipv6) {
      out.Set("source", Napi::Buffer<uint8_t>::Copy(env, parsed.source6, 16));
      out.Set("group", Napi::Buffer<uint8_t>::Copy(env, parsed.group6, 16));
    } else {
      out.Set("source", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(&parsed.source), 4));
      out.Set("group", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(&parsed.group), 4));
    }
    out.Set("sourcePort", Napi::Number::New(env, parsed.sourcePort));
    out.Set("port", Napi::Number::New(env, parsed.port));
    out.Set("ttl", Napi::Number::New(env, parsed.ttl));
    out.Set("payloadOffset", Napi::Number::New(env, parsed.payloadOffset));
    out.Set("payloadLength", Napi::Number::New(env, parsed.payloadLength));
  }
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function worker = DataPlaneWorker::Define(env);
  Napi::Function membership = MembershipSocket::Define(env);
  data->dataPlaneWorker = Napi::Persistent(worker);
  data->membershipSocket = Napi::Persistent(membership);
  Napi::Function tcEngine = TcEngine::Define(env);
  data->tcEngine = Napi::Persistent(tcEngine);
  Napi::Function listener = ListenerSocket::Define(env);
  data->listenerSocket = Napi::Persistent(listener);
  Napi::Function datagram = DatagramSocket::Define(env);
  data->datagramSocket = Napi::Persistent(datagram);
  env.SetInstanceData<AddonData>(data);
  exports.Set("DataPlaneWorker", worker);
  exports.Set("MembershipSocket", membership);
  exports.Set("ListenerSocket", listener);
  exports.Set("TcEngine", tcEngine);
  exports.Set("referenceOutputs", Napi::Function::New(env, ReferenceOutputs, "referenceOutputs"));
  exports.Set("DatagramSocket", datagram);
  exports.Set("parseFrame", Napi::Function::New(env, ParseFrameJs, "parseFrame"));
  exports.Set("benchHotPath", Napi::Function::New(env, BenchHotPath, "benchHotPath"));
  exports.Set("lockFile", Napi::Function::New(env, LockFileJs, "lockFile"));
  return exports;
}

}  // namespace mcr

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return mcr::Init(env, exports); }

NODE_API_MODULE(mcr_native, InitModule)
