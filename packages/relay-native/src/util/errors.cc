#include "util/errors.hpp"

#include <string.h>

namespace mcr {

std::string ErrnoName(int err) {
  // glibc >= 2.32: the symbolic name, not the localized message.
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
  return "E" + std::to_string(err);
}

Napi::Error MakeNativeError(Napi::Env env, int err, const char* syscall,
                            const std::string& interfaceName, const std::string& group) {
  std::string message = std::string(syscall) + " failed: " + ErrnoName(err) + " (" + strerror(err) + ")";
  if (!interfaceName.empty()) message += " on interface " + interfaceName;
  if (!group.empty()) message += " for group " + group;
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("code", ErrnoName(err));
  obj.Set("errno", Napi::Number::New(env, err));
  obj.Set("syscall", syscall);
  if (!interfaceName.empty()) obj.Set("interface", interfaceName);
  if (!group.empty()) obj.Set("group", group);
  // Marks errors that the TS wrapper converts into NativeError (argument errors stay as they are).
  obj.Set("mcrNative", Napi::Boolean::New(env, true));
  return error;
}

}  // namespace mcr
