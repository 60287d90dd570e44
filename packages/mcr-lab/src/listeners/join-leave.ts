// RFC 3918 group join and leave delay (sections 4.1 and 4.2) of mcr with forward "listeners", measured
// on the wire of one output segment by its passive observer, one listener at a time:
//   join delay  = the receiver's membership report (IGMPv2/MLDv1 report, IGMPv3/MLDv2 TO_EX record)
//                 -> the segment's first packet of the group after it;
//   leave delay = the receiver's leave (IGMPv2 leave/MLDv1 done, TO_IN record) -> the segment's last
//                 packet of the group before the next join (0 when none followed the leave).
// Receivers alternate between an IGMPv2 (MLDv1) and an IGMPv3 (MLDv2) host stack; each holds the
// group for HOLD_MS, then the segment stays quiet for QUIET_MS (> the leave bound) before the next.
import type { AddressFamily, ObservedData, ObservedMembership } from '@mcr/netns-lab';
import { membershipMessage } from './analysis.js';
import type { ListenerSpell } from './schedule.js';
import { runSegments } from './segments-run.js';
import { LAB_IGMP, LEAVE_BOUND_MS } from './timers.js';

export const JOIN_LEAVE_HOLD_MS = 1200;
export const JOIN_LEAVE_QUIET_MS = LEAVE_BOUND_MS + 700;

export interface JoinLeaveRound {
  round: number;
  family: AddressFamily;
  /** The receiver's protocol: IGMPv2, IGMPv3, MLDv1 or MLDv2. */
  protocol: string;
  joinMs: number | null;
  leaveMs: number | null;
}

export interface JoinLeaveOptions {
  family: AddressFamily;
  rounds: number;
  ratePps: number;
  onProgress: (line: string) => void;
}

export async function measureJoinLeave(o: JoinLeaveOptions): Promise<JoinLeaveRound[]> {
  const period = JOIN_LEAVE_HOLD_MS + JOIN_LEAVE_QUIET_MS;
  const spells: ListenerSpell[] = Array.from({ length: o.rounds }, (_, i) => ({ segment: 0, slot: i % 2, stream: 0, joinAtMs: i * period, leaveAtMs: i * period + JOIN_LEAVE_HOLD_MS }));
  const run = await runSegments({
    family: o.family,
    streams: 1,
    ratePps: o.ratePps,
    size: 200,
    segments: 1,
    receivers: 2,
    mcr: { forward: 'listeners', igmp: { querier: 'auto', ...LAB_IGMP } },
    spells,
    seconds: (o.rounds * period) / 1000,
    tailMs: 500,
    warmupMs: 3000,
    onProgress: o.onProgress,
  });
  const obs = run.observed[0] ?? [];
  const msgs = obs.filter((m): m is ObservedMembership => m.kind !== 'data');
  const data = obs.filter((m): m is ObservedData => m.kind === 'data');
  const v = (slot: number) => (o.family === 'ipv6' ? (slot === 0 ? 'MLDv1' : 'MLDv2') : slot === 0 ? 'IGMPv2' : 'IGMPv3');
  return run.spells.map((s, i) => {
    const next = run.spells[i + 1]?.joinedMs ?? Infinity;
    const join = s.joinedMs === null ? undefined : msgs.find((m) => m.t >= s.joinedMs! - 5 && membershipMessage(m, s, 'join'));
    const leave = s.stopMs === null ? undefined : msgs.find((m) => m.t >= s.stopMs! && membershipMessage(m, s, 'leave'));
    const first = join ? data.find((d) => d.t >= join.t && d.group === s.group) : undefined;
    const after = leave ? data.filter((d) => d.t > leave.t && d.t < next && d.group === s.group) : [];
    return {
      round: i + 1,
      family: o.family,
      protocol: v(s.slot),
      joinMs: join && first ? first.t - join.t : null,
      leaveMs: leave ? (after.length ? after.at(-1)!.t - leave.t : 0) : null,
    };
  });
}
