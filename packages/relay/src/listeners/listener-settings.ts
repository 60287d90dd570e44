import { z } from 'zod';
import { boolean, integer, number, object, oneOf } from '../config/schema-fields.js';
import { largestFloatValue } from './float-code.js';

// The settings of receiver-driven relaying (an output with forward: "listeners"): whether to join,
// whether to be the querier, the protocol versions, and the RFC 3376 §8 / RFC 3810 §9 variables, in
// seconds. Defaults are the RFCs'; the limits admit the short timers a lab or a fast-failover segment
// wants and stop where the wire formats can no longer carry the value.

export const QUERIER_MODES = ['auto', 'always', 'never'] as const;
export type QuerierMode = (typeof QUERIER_MODES)[number];

export const LISTENER_DEFAULTS = {
  join: true,
  querier: 'auto' as QuerierMode,
  igmpVersion: 3,
  mldVersion: 2,
  robustness: 2,
  queryInterval: 125,
  queryResponseInterval: 10,
  lastMemberQueryInterval: 1,
} as const;

/** IGMPv2's Max Response Time is one byte of tenths: 25.5 s at most. */
const IGMPV2_LONGEST_RESPONSE = 25.5;

export const LISTENER_LIMITS = {
  /** QRV is 3 bits; 0 is forbidden (RFC 3376 §4.1.6). 1 is allowed though the RFC advises against it. */
  robustness: { min: 1, max: 7 },
  /** Down to 1 s for fast labs; up to what QQIC can carry (31744 s). */
  queryInterval: { min: 1, max: largestFloatValue(4) },
  /** Tenths of a second are IGMP's resolution; the top is what IGMPv3's Max Resp Code can carry. */
  queryResponseInterval: { min: 0.1, max: largestFloatValue(4) / 10 },
  lastMemberQueryInterval: { min: 0.1, max: largestFloatValue(4) / 10 },
  /**
   * Groups one segment's table holds (a Linux bridge's snooping table holds 4096 by default,
   * hash_max): reports for further groups are dropped and counted, so a host that reports random
   * groups cannot grow the relay without bound.
   */
  maxGroupsPerSegment: 4096,
  /** IGMPv2's one-byte response time, for igmpVersion 2. */
  igmpV2ResponseInterval: { max: IGMPV2_LONGEST_RESPONSE },
} as const;

const L = LISTENER_LIMITS;

const fieldsValid = (payload: { issues: readonly unknown[] }) => payload.issues.length === 0;

export const listenerSettingsSchema = object({
  join: boolean().default(LISTENER_DEFAULTS.join).describe('false: passive, join nothing (the input\'s frames arrive by other means)'),
  querier: oneOf(QUERIER_MODES).default(LISTENER_DEFAULTS.querier).describe('auto: elect (the lowest address queries); always: query regardless; never: only listen'),
  igmpVersion: integer(1, 3).default(LISTENER_DEFAULTS.igmpVersion).describe('the IGMP version queried and the newest understood'),
  mldVersion: integer(1, 2).default(LISTENER_DEFAULTS.mldVersion).describe('the MLD version queried and the newest understood'),
  robustness: integer(L.robustness.min, L.robustness.max).default(LISTENER_DEFAULTS.robustness).describe('how many lost messages the protocol tolerates'),
  queryInterval: number(L.queryInterval.min, L.queryInterval.max).default(LISTENER_DEFAULTS.queryInterval).describe('seconds between general queries'),
  queryResponseInterval: number(L.queryResponseInterval.min, L.queryResponseInterval.max)
    .default(LISTENER_DEFAULTS.queryResponseInterval)
    .describe('seconds hosts may take to answer a general query; less than queryInterval'),
  lastMemberQueryInterval: number(L.lastMemberQueryInterval.min, L.lastMemberQueryInterval.max)
    .default(LISTENER_DEFAULTS.lastMemberQueryInterval)
    .describe('seconds between the queries that follow a leave; fractions allowed'),
})
  // The cross-field checks wait for every field to be right: comparing with a refused value says nothing.
  .refine((s) => s.queryResponseInterval < s.queryInterval, {
    when: fieldsValid,
    path: ['queryResponseInterval'],
    error: 'must be less than queryInterval (RFC 3376 §8.3): hosts must answer before the next query',
  })
  .refine((s) => s.igmpVersion !== 2 || (s.queryResponseInterval <= IGMPV2_LONGEST_RESPONSE && s.lastMemberQueryInterval <= IGMPV2_LONGEST_RESPONSE), {
    when: fieldsValid,
    path: ['igmpVersion'],
    error: `IGMPv2 queries carry at most ${IGMPV2_LONGEST_RESPONSE} s: queryResponseInterval and lastMemberQueryInterval must not exceed it`,
  });

export type ListenerSettings = z.output<typeof listenerSettingsSchema>;
export type ListenerSettingsInput = z.input<typeof listenerSettingsSchema>;

/** Settings with every default applied. */
export function listenerSettings(input: ListenerSettingsInput = {}): ListenerSettings {
  return listenerSettingsSchema.parse(input);
}
