// MembershipSocket: holds multicast memberships (IGMP for IPv4, MLD for IPv6) with the
// family-independent API: MCAST_JOIN_GROUP / MCAST_LEAVE_GROUP (any source) and
// MCAST_JOIN_SOURCE_GROUP / MCAST_LEAVE_SOURCE_GROUP (source-specific: IGMPv3/MLDv2 include mode).
// One UDP socket per family, opened when that family is first used. The sockets never read: their
// joins only make the kernel report and accept the groups.
#pragma once

#include <napi.h>

namespace mcr {

class MembershipSocket : public Napi::ObjectWrap<MembershipSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MembershipSocket(const Napi::CallbackInfo& info);
  ~MembershipSocket() override;

 private:
  // (ifindex, group: Buffer(4|16), source: Buffer(0|4|16), interfaceName, groupText)
  void Join(const Napi::CallbackInfo& info);
  void Leave(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Change(const Napi::CallbackInfo& info, bool join);
  // The socket of `family` (AF_INET/AF_INET6), opened on first use; -1 with errno set on failure.
  int SocketFor(int family);

  int fd4_ = -1;
  int fd6_ = -1;
  bool closed_ = false;
};

}  // namespace mcr
