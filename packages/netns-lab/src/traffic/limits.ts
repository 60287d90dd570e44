// Limits of the native tools that the TypeScript validation mirrors. The native usage texts quote
// the same figures; this module is where they are stated for the TypeScript side.
export const StreamStatsMax = {
  /** mcr-recv counts sequence numbers >= 2^31 as corrupt (bitmap cap, see stream_stats.hpp). */
  seq: 2 ** 31,
} as const;

/** mcr-probe timer's ranges and defaults (native/mcr_probe.cc). */
export const TIMER_PROBE = {
  minMicros: 1,
  maxMicros: 1_000_000,
  defaultMicros: 50,
  minCount: 1,
  maxCount: 100_000,
  defaultCount: 1000,
} as const;

/** mcr-send --senders: processes the streams are dealt to (kMaxSenders in native/mcr_send.cc). */
export const SENDER_PROCESSES = { min: 1, max: 8 } as const;
