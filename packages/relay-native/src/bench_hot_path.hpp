// benchHotPath(frames, rules, iterations, partialChecksum): parse + match + header rewrite into the preallocated
// egress buffers, without sending, timed in native code. For the bench package only.
#pragma once

#include <napi.h>

namespace mcr {

Napi::Value BenchHotPath(const Napi::CallbackInfo& info);

}  // namespace mcr
