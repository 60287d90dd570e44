import type { AddressFamily } from '@mcr/relay-native';
import { UNSPECIFIED, type ListenerQuery, type ListenerVersion } from './listener-messages.js';
import type { ProtocolIntervals } from './protocol-intervals.js';

// The queries a querier sends (RFC 3376 §4.1, RFC 3810 §5.1): general ones every query interval,
// group-specific and group-and-source-specific ones after a leave or a block, which ask with the last
// member query interval as the response time so that a silent group times out quickly.

/** Where every query goes at the IP level: all systems (224.0.0.1, ff02::1) for a general one, else the group. */
export function queryDestination(family: AddressFamily, query: ListenerQuery): string {
  if (query.group !== UNSPECIFIED[family]) return query.group;
  return family === 'ipv4' ? '224.0.0.1' : 'ff02::1';
}

function query(version: ListenerVersion, intervals: ProtocolIntervals, fields: Pick<ListenerQuery, 'group' | 'sources' | 'maxResponseMs' | 'suppressRouterProcessing'>): ListenerQuery {
  return {
    kind: 'query',
    version,
    ...fields,
    robustness: intervals.robustness <= 7 ? intervals.robustness : 0,
    queryIntervalSeconds: Math.floor(intervals.queryIntervalMs / 1000),
  };
}

export function generalQuery(family: AddressFamily, version: ListenerVersion, intervals: ProtocolIntervals): ListenerQuery {
  return query(version, intervals, { group: UNSPECIFIED[family], sources: [], maxResponseMs: intervals.queryResponseIntervalMs, suppressRouterProcessing: false });
}

/** A group-specific query, or a group-and-source-specific one when `sources` is not empty. */
export function specificQuery(version: ListenerVersion, intervals: ProtocolIntervals, group: string, sources: string[], suppressRouterProcessing: boolean): ListenerQuery {
  return query(version, intervals, { group, sources, maxResponseMs: intervals.lastMemberQueryIntervalMs, suppressRouterProcessing });
}
