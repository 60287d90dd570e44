// Limits of the native tools that the TypeScript validation mirrors: those of their flags come from
// native/tool-limits.json, which the tools are compiled with (their usage texts quote it).
import { TOOL_LIMITS } from './tool-limits.js';

export const StreamStatsMax = {
  /** mcr-recv counts sequence numbers >= 2^31 as corrupt (bitmap cap, see stream_stats.hpp). */
  seq: 2 ** 31,
} as const;

/** mcr-probe timer's ranges and defaults. */
export const TIMER_PROBE = {
  minMicros: TOOL_LIMITS.timerMicros.min,
  maxMicros: TOOL_LIMITS.timerMicros.max,
  defaultMicros: TOOL_LIMITS.timerMicros.default,
  minCount: TOOL_LIMITS.timerCount.min,
  maxCount: TOOL_LIMITS.timerCount.max,
  defaultCount: TOOL_LIMITS.timerCount.default,
} as const;

/** mcr-send --senders: processes the streams are dealt to (min, max, and mcr-send's own default). */
export const SENDER_PROCESSES = { min: TOOL_LIMITS.senders.min, max: TOOL_LIMITS.senders.max, default: TOOL_LIMITS.senders.default } as const;

/** How mcr-send sends: through raw frames (--raw) or a UDP socket, from how many processes (--senders). */
export interface SenderMode {
  raw: boolean;
  senders: number;
}

/**
 * How the lab's bed sends (mcr-send's own default stays one process with a UDP socket): raw
 * frames, one process. Measured on this project's 2-core machine with `packages/mcr-lab/tools/sender-ceiling.mjs`,
 * 1000 B payloads, medians of 3 trials:
 * - the ceiling, unthrottled across one veth with nothing forwarding: 10 streams reach 437-465 kpps
 *   with --raw --senders 2 against 198-219 kpps from one UDP socket (220-311 raw, 330-336 with
 *   --senders 2 alone); 1 stream 246-257 kpps raw against 227-254 UDP. No loss at the sink in any.
 * - through an mcr relay in the bed (`--through-mcr`, 10 streams, paced): a second sender process
 *   takes CPU from the relay under test on 2 cores: 18-23 % loss at 200 kpps against 5-8 % from
 *   one process, trials with 27-33 % loss at 150 kpps where one process lost none, and a p50
 *   latency of 2.1-2.4 ms at 100 kpps against 0.38-0.40 ms. Raw frames from one process match the
 *   UDP socket in loss, latency and CPU per packet at 100-200 kpps, and at 250 kpps offered they
 *   send 249 kpps where the UDP socket manages 222 (sender-bound).
 * BedOptions.sender takes --senders for ceiling measurements, where the sender is all that runs.
 */
export const SENDER_DEFAULTS: Readonly<SenderMode> = { raw: true, senders: 1 };

/**
 * The MTU of the lab's links (veth's default, which the topologies keep). Raw frames are never
 * fragmented: a payload too big for it goes through a UDP socket, which fragments.
 */
export const LAB_LINK_MTU = 1500;

/** IP + UDP header bytes in front of a payload, per family. */
export const IP_UDP_HEADER = { ipv4: 28, ipv6: 48 } as const;
