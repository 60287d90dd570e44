#include "membership_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/errors.hpp"

namespace mcr {
namespace {

// Linux's IPV6_MULTICAST_ALL (include/uapi/linux/in6.h; glibc may not name it).
constexpr int kIpv6MulticastAll = 29;

// An address Buffer (4 or 16 bytes, network byte order) as a sockaddr_storage of its family.
void ToSockaddr(const Napi::Buffer<uint8_t>& bytes, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (bytes.Length() == 16) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, bytes.Data(), 16);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    std::memcpy(&a->sin_addr, bytes.Data(), 4);
  }
}

}  // namespace

Napi::Function MembershipSocket::Define(Napi::Env env) {
  return DefineClass(env, "MembershipSocket",
                     {
                         InstanceMethod<&MembershipSocket::Join>("join"),
                         InstanceMethod<&MembershipSocket::Leave>("leave"),
                         InstanceMethod<&MembershipSocket::Close>("close"),
                     });
}

MembershipSocket::MembershipSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MembershipSocket>(info) {}

MembershipSocket::~MembershipSocket() {
  if (fd4_ >= 0) close(fd4_);
  if (fd6_ >= 0) close(fd6_);
}

int MembershipSocket::SocketFor(int family) {
  int& fd = family == AF_INET6 ? fd6_ : fd4_;
  if (fd >= 0) return fd;
  const int opened = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (opened < 0) return -1;
  // Never deliver other sockets' groups here (the socket does not read, but keep it inert).
  const int zero = 0;
  const int rc = family == AF_INET6 ? setsockopt(opened, IPPROTO_IPV6, kIpv6MulticastAll, &zero, sizeof zero)
                                    : setsockopt(opened, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
  if (rc != 0) {
    const int err = errno;
    close(opened);
    errno = err;
    return -1;
  }
  fd = opened;
  return fd;
}

void MembershipSocket::Join(const Napi::CallbackInfo& info) { Change(info, true); }
void MembershipSocket::Leave(const Napi::CallbackInfo& info) { Change(info, false); }

void MembershipSocket::Change(const Napi::CallbackInfo& info, bool join) {
  const uint32_t ifindex = static_cast<uint32_t>(info[0].As<Napi::Number>().Int64Value());
  Napi::Buffer<uint8_t> group = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> source = info[2].As<Napi::Buffer<uint8_t>>();
  const std::string interfaceName = info[3].As<Napi::String>().Utf8Value();
  const std::string groupText = info[4].As<Napi::String>().Utf8Value();
  if (closed_) throw MakeNativeError(info.Env(), EBADF, "setsockopt", interfaceName, groupText);
  const bool v6 = group.Length() == 16;
  const int fd = SocketFor(v6 ? AF_INET6 : AF_INET);
  if (fd < 0) throw MakeNativeError(info.Env(), errno, "socket", interfaceName, groupText);
  // The option level is the socket's family; the request's addresses carry their own.
  const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int rc;
  if (source.Length() == 0) {
    group_req request{};
    request.gr_interface = ifindex;
    ToSockaddr(group, request.gr_group);
    rc = setsockopt(fd, level, join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, &request, sizeof request);
  } else {
    group_source_req request{};
    request.gsr_interface = ifindex;
    ToSockaddr(group, request.gsr_group);
    ToSockaddr(source, request.gsr_source);
    rc = setsockopt(fd, level, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &request, sizeof request);
  }
  if (rc != 0) throw MakeNativeError(info.Env(), errno, "setsockopt", interfaceName, groupText);
}

void MembershipSocket::Close(const Napi::CallbackInfo& info) {
  closed_ = true;
  if (fd4_ >= 0) close(fd4_);
  if (fd6_ >= 0) close(fd6_);
  fd4_ = -1;
  fd6_ = -1;
}

}  // namespace mcr
