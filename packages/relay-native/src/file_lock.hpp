// lockFile(fd): an exclusive, non-blocking flock(2) on a descriptor JS opened. Node core has no
// flock; the relay uses it so that one relay, and only one, serves a control socket path.
#pragma once

#include <napi.h>

namespace mcr {

// (fd) -> undefined; throws the native error shape (code EAGAIN when another open file holds it).
Napi::Value LockFileJs(const Napi::CallbackInfo& info);

}  // namespace mcr
