#include "membership_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "util/errors.hpp"

namespace mcr {

Napi::Function MembershipSocket::Define(Napi::Env env) {
  return DefineClass(env, "MembershipSocket",
                     {
                         InstanceMethod<&MembershipSocket::Join>("join"),
                         InstanceMethod<&MembershipSocket::Leave>("leave"),
                         InstanceMethod<&MembershipSocket::Close>("close"),
                     });
}

MembershipSocket::MembershipSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MembershipSocket>(info) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw MakeNativeError(info.Env(), errno, "socket");
  // Never deliver other sockets' groups here (the socket does not read, but keep it inert).
  const int zero = 0;
  if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) != 0) {
    const int err = errno;
    close(fd_);
    fd_ = -1;
    throw MakeNativeError(info.Env(), err, "setsockopt");
  }
}

MembershipSocket::~MembershipSocket() {
  if (fd_ >= 0) close(fd_);
}

void MembershipSocket::Join(const Napi::CallbackInfo& info) { Change(info, IP_ADD_MEMBERSHIP); }
void MembershipSocket::Leave(const Napi::CallbackInfo& info) { Change(info, IP_DROP_MEMBERSHIP); }

void MembershipSocket::Change(const Napi::CallbackInfo& info, int option) {
  const int ifindex = info[0].As<Napi::Number>().Int32Value();
  const uint32_t group = static_cast<uint32_t>(info[1].As<Napi::Number>().Int64Value());
  const std::string interfaceName = info[2].As<Napi::String>().Utf8Value();
  const std::string groupText = info[3].As<Napi::String>().Utf8Value();
  if (fd_ < 0) throw MakeNativeError(info.Env(), EBADF, "setsockopt", interfaceName, groupText);
  ip_mreqn request{};
  request.imr_multiaddr.s_addr = htonl(group);
  request.imr_address.s_addr = htonl(INADDR_ANY);
  request.imr_ifindex = ifindex;
  if (setsockopt(fd_, IPPROTO_IP, option, &request, sizeof request) != 0) {
    throw MakeNativeError(info.Env(), errno, "setsockopt", interfaceName, groupText);
  }
}

void MembershipSocket::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace mcr
