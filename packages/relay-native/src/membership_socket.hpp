// MembershipSocket: one UDP socket that holds IGMP memberships (ip_mreqn with imr_ifindex).
// The socket never reads: its joins only make the kernel report and accept the groups.
#pragma once

#include <napi.h>

namespace mcr {

class MembershipSocket : public Napi::ObjectWrap<MembershipSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MembershipSocket(const Napi::CallbackInfo& info);
  ~MembershipSocket() override;

 private:
  // (ifindex, groupHostOrderU32, interfaceName, groupText)
  void Join(const Napi::CallbackInfo& info);
  void Leave(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Change(const Napi::CallbackInfo& info, int option);

  int fd_ = -1;
};

}  // namespace mcr
