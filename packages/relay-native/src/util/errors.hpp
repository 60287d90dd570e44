// Native failures reach JS as one shape: an Error carrying code (errno name), errno, syscall and
// context. The TS layer turns it into NativeError. Errno is captured where the syscall failed
// (any thread); the Napi::Error is built only on the JS thread.
#pragma once

#include <napi.h>

#include <string>

namespace mcr {

// A failed syscall, recorded without touching Napi.
struct SysError {
  int err = 0;
  const char* syscall = "";
};

// "ENOBUFS" for ENOBUFS; "E<number>" when the C library has no name for it.
std::string ErrnoName(int err);

// Builds the error object; `interfaceName`/`group` are attached only when non-empty.
Napi::Error MakeNativeError(Napi::Env env, int err, const char* syscall,
                            const std::string& interfaceName = std::string(),
                            const std::string& group = std::string());

}  // namespace mcr
