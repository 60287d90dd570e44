// The limits and defaults of the tools' flags that the TypeScript side checks too, stated once in
// native/tool-limits.json: binding.gyp passes them as defines (tool-limits-defines.mjs), and
// src/traffic/tool-limits.ts reads the same file.
#pragma once

#include <cstddef>
#include <cstdint>

#if !defined(MCR_PAYLOAD_MIN) || !defined(MCR_PAYLOAD_MAX) || !defined(MCR_PAYLOAD_DEFAULT) || !defined(MCR_SENDERS_MIN) || \
    !defined(MCR_SENDERS_MAX) || !defined(MCR_SENDERS_DEFAULT) || !defined(MCR_TIMER_MICROS_MIN) ||                      \
    !defined(MCR_TIMER_MICROS_MAX) || !defined(MCR_TIMER_MICROS_DEFAULT) || !defined(MCR_TIMER_COUNT_MIN) ||              \
    !defined(MCR_TIMER_COUNT_MAX) || !defined(MCR_TIMER_COUNT_DEFAULT)
#error "the MCR_* limits come from native/tool-limits.json (binding.gyp)"
#endif

// A define's value as a string literal, for usage texts.
#define MCR_STRINGIFY_(x) #x
#define MCR_STRINGIFY(x) MCR_STRINGIFY_(x)
// "MIN..MAX (default D)" of one section of tool-limits.json, e.g. MCR_RANGE(PAYLOAD).
#define MCR_RANGE(name) \
  MCR_STRINGIFY(MCR_##name##_MIN) ".." MCR_STRINGIFY(MCR_##name##_MAX) " (default " MCR_STRINGIFY(MCR_##name##_DEFAULT) ")"

namespace mcr {

template <typename T>
struct Limit {
  T min, max, fallback;
};

// UDP payload bytes: the header and one pattern word at least, a 9000 B jumbo frame's worth at most.
constexpr Limit<size_t> kPayload{MCR_PAYLOAD_MIN, MCR_PAYLOAD_MAX, MCR_PAYLOAD_DEFAULT};
// mcr-send --senders: processes the streams are dealt to.
constexpr Limit<unsigned> kSenders{MCR_SENDERS_MIN, MCR_SENDERS_MAX, MCR_SENDERS_DEFAULT};
// mcr-probe timer --micros and --count.
constexpr Limit<uint64_t> kTimerMicros{MCR_TIMER_MICROS_MIN, MCR_TIMER_MICROS_MAX, MCR_TIMER_MICROS_DEFAULT};
constexpr Limit<uint64_t> kTimerCount{MCR_TIMER_COUNT_MIN, MCR_TIMER_COUNT_MAX, MCR_TIMER_COUNT_DEFAULT};

template <typename T>
constexpr bool ordered(const Limit<T>& l) {
  return l.min <= l.fallback && l.fallback <= l.max;
}
static_assert(ordered(kPayload) && ordered(kSenders) && ordered(kTimerMicros) && ordered(kTimerCount), "tool-limits.json");

}  // namespace mcr
