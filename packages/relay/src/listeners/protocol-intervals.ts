import type { ListenerQuery } from './listener-messages.js';
import type { ListenerSettings } from './listener-settings.js';

// The timer values RFC 3376 §8 and RFC 3810 §9 derive from the settings, in milliseconds (the unit
// of every clock the protocol modules take, so deadlines are integers and compare exactly).

export interface ProtocolIntervals {
  robustness: number;
  queryIntervalMs: number;
  queryResponseIntervalMs: number;
  /** §8.4: how long a group or source stays without a report. */
  groupMembershipMs: number;
  /** §8.5: how long another querier counts as present after its last query. */
  otherQuerierPresentMs: number;
  /** §8.6, §8.7: the first queries come faster, so a new querier learns the listeners soon. */
  startupQueryIntervalMs: number;
  startupQueryCount: number;
  /** §8.8, §8.9: the spacing and number of queries after a leave. */
  lastMemberQueryIntervalMs: number;
  lastMemberQueryCount: number;
  /** §8.10: how long the last-member queries leave a group or source before it times out. */
  lastMemberQueryTimeMs: number;
  /** §8.13: how long a group stays in an older version's compatibility mode after that version's report. */
  olderHostPresentMs: number;
}

/** The settings the intervals derive from. */
export type TimerSettings = Pick<ListenerSettings, 'robustness' | 'queryInterval' | 'queryResponseInterval' | 'lastMemberQueryInterval'>;

export function protocolIntervals(s: TimerSettings): ProtocolIntervals {
  const ms = (seconds: number) => Math.round(seconds * 1000);
  const queryIntervalMs = ms(s.queryInterval);
  const queryResponseIntervalMs = ms(s.queryResponseInterval);
  const lastMemberQueryIntervalMs = ms(s.lastMemberQueryInterval);
  const groupMembershipMs = s.robustness * queryIntervalMs + queryResponseIntervalMs;
  return {
    robustness: s.robustness,
    queryIntervalMs,
    queryResponseIntervalMs,
    groupMembershipMs,
    otherQuerierPresentMs: s.robustness * queryIntervalMs + Math.floor(queryResponseIntervalMs / 2),
    startupQueryIntervalMs: Math.floor(queryIntervalMs / 4),
    startupQueryCount: s.robustness,
    lastMemberQueryIntervalMs,
    lastMemberQueryCount: s.robustness,
    lastMemberQueryTimeMs: s.robustness * lastMemberQueryIntervalMs,
    olderHostPresentMs: groupMembershipMs,
  };
}

/**
 * The intervals of a non-querier that heard `query` from the querier: it takes the querier's QRV and
 * QQI as its own (RFC 3376 §4.1.6, §4.1.7; RFC 3810 §5.1.8, §5.1.9), so every router on the segment
 * times groups out alike. Zero (older versions, or a value too large for QRV) means "not said".
 */
export function adoptQuerierParameters(s: TimerSettings, query: ListenerQuery): ProtocolIntervals {
  return protocolIntervals({ ...s, robustness: query.robustness || s.robustness, queryInterval: query.queryIntervalSeconds || s.queryInterval });
}
