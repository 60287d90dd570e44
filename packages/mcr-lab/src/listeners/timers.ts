// The protocol timers the listener scenarios and the join-leave bench give mcr, and the bounds their
// checks derive from them. Stated once; the scenarios, the bench and docs/listeners.md quote them.
//
// Timers (seconds; the RFC 3376 / RFC 3810 defaults are 125, 10, 1 and robustness 2):
//   queryInterval 2, queryResponseInterval 1, lastMemberQueryInterval 0.2, robustness 2.
// Short enough that a 60 s run sees many query rounds, a querier take-over and dozens of leaves; long
// enough that on two shared cores a query round (12 hosts answering within 1 s) is a few hundred
// frames, not a storm, and that the bounds below stay apart from each other:
//   group membership interval   GMI  = robustness x QI + QRI           = 5 s
//   other querier present       OQPI = robustness x QI + QRI / 2       = 4.5 s
//   last member query time      LMQT = lastMemberQueryCount x LMQI      = 0.4 s  (count = robustness)
//
// Join bound, 500 ms from a receiver's join (its socket's IP_ADD_MEMBERSHIP) to its first packet: the
// host sends its unsolicited report at once, the relay has only to read it and start the output, and
// the stream's next packet is at most 1/rate away. The bound is a processing allowance for two
// shared cores and a dozen processes; it is four times shorter than the query interval, so a relay
// that learns listeners only from query responses (0..QI+QRI late) fails it.
//
// Leave bound, LMQT + 400 ms = 800 ms from the last listener's leave message to the segment's last
// packet: on a leave the querier asks robustness times, LMQI apart, and drops the group LMQT after the
// leave when nobody answers; the slack covers the relay's timer wheel, the data plane's request and a
// busy machine. A relay that ignores leaves keeps the group until GMI after the last report, 2 to 5 s
// after the leave (the last report came 0..QI+QRI before it): far above the bound, which is what the
// negative control shows.
import type { McrIgmpSettings } from '../relays/index.js';

export const LAB_IGMP: Required<Omit<McrIgmpSettings, 'querier'>> = {
  igmpVersion: 3,
  mldVersion: 2,
  robustness: 2,
  queryInterval: 2,
  queryResponseInterval: 1,
  lastMemberQueryInterval: 0.2,
};

const t = LAB_IGMP;
/** Derived intervals, ms. */
export const LAB_INTERVALS_MS = {
  groupMembership: (t.robustness * t.queryInterval + t.queryResponseInterval) * 1000,
  otherQuerierPresent: (t.robustness * t.queryInterval + t.queryResponseInterval / 2) * 1000,
  lastMemberQueryTime: t.robustness * t.lastMemberQueryInterval * 1000,
} as const;

/** Slack added to LMQT for the leave bound, ms. */
export const LEAVE_SLACK_MS = 400;
export const JOIN_BOUND_MS = 500;
export const LEAVE_BOUND_MS = LAB_INTERVALS_MS.lastMemberQueryTime + LEAVE_SLACK_MS;
/**
 * The membership bound, GMI + the same slack: a leave the relay cannot act on (a last listener that
 * sends no leave message, as an IGMPv2 / MLDv1 host whose report another host suppressed; a leave
 * heard while the relay is not the querier, which ignores it) ends when the group's membership timer
 * runs out, GMI after the last report, so at most GMI after the leave.
 */
export const MEMBERSHIP_BOUND_MS = LAB_INTERVALS_MS.groupMembership + LEAVE_SLACK_MS;
/** Slack on the querier take-over time (stats are sampled every STATS_SAMPLE_MS). */
export const TAKEOVER_SLACK_MS = 1000;
export const STATS_SAMPLE_MS = 250;

/**
 * The bridge querier of the listeners scenario queries with the relay's timers (centiseconds), so
 * that its query interval is the one the relay's other-querier-present interval expects.
 */
export const BRIDGE_QUERIER_TIMERS = {
  mcast_query_interval: t.queryInterval * 100,
  mcast_query_response_interval: t.queryResponseInterval * 100,
  mcast_last_member_interval: t.lastMemberQueryInterval * 100,
  mcast_last_member_count: t.robustness,
  mcast_startup_query_interval: (t.queryInterval * 100) / 4,
  mcast_startup_query_count: t.robustness,
} as const;
