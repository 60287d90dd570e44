// Limits of the native tools that the TypeScript validation mirrors.
export const StreamStatsMax = {
  /** mcr-recv counts sequence numbers >= 2^31 as corrupt (bitmap cap, see stream_stats.hpp). */
  seq: 2 ** 31,
} as const;
