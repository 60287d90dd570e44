// TEST-ONLY: the packet engine's decision for one frame, as the bytes it would send per output, so
// that the tc engine's program can be compared with it (test/tc-differential.test.ts).
#pragma once

#include <napi.h>

namespace mcr {

// referenceOutputs(frame, rules, ownMacs, metadataVlan) -> {kind, counters: {...}, outputs:
// [{rule, output, bytes}]}: HandleFrame (forward_path.hpp) on a fresh table with full token buckets;
// no sockets, every multicast output's header and payload joined.
Napi::Value ReferenceOutputs(const Napi::CallbackInfo& info);

}  // namespace mcr
