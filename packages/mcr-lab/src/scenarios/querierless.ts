// querierless: a snooping switch ages out memberships nobody refreshes, and mcr's querier is the cure.
// The output segment's bridge snoops (IGMPv3 and MLDv2), does not flood groups nobody joined to the
// receivers' ports (mcast_flood off), and forgets a membership after BRIDGE_MEMBERSHIP_CS; two
// receivers (IGMPv3 / MLDv2 host stacks) join once and stay. Linux's bridge floods everything while
// it knows no querier at all (it fails open, which would hide the failure), so this one has a querier
// that asks once at start and then only every hour (its address is above mcr's, so mcr wins the
// election when it queries): after the hosts' unsolicited reports, nobody asks them again.
//   1. failure reproduced: mcr with forward "always" and no querier (igmp.querier "never"): the
//      receivers get the stream, then lose it once the bridge's membership timer runs out;
//   2. cure: mcr with forward "listeners" and its querier (igmp.querier "auto"): the hosts answer its
//      queries, the bridge's memberships stay fresh and the stream runs to the end, well past the
//      membership timeout.
// Both are asserted; the run passes when the first stops and the second continues. Negative control
// `--inject-bug no-querier`: the cure runs with igmp.querier "never", and its stream stops too.
import { LAB_IGMP } from '../listeners/timers.js';
import { runSegments, type SegmentsRunResult } from '../listeners/segments-run.js';
import type { ListenerSpell } from '../listeners/schedule.js';
import type { McrStartOptions } from '../relays/index.js';
import type { ScenarioOptions } from './options.js';
import { makeReport, type Row, type ScenarioReport, type Violation } from './report.js';

/** The bridge's membership interval, centiseconds (default 26000: 260 s). */
export const BRIDGE_MEMBERSHIP_CS = 600;
const MEMBERSHIP_MS = BRIDGE_MEMBERSHIP_CS * 10;
/** The run lasts three membership intervals: the stop is in the middle, not at an edge. */
const RUN_SECONDS = (3 * MEMBERSHIP_MS) / 1000 + 2;
const JOIN_AT_MS = 500;
/**
 * A stopped stream ends between the membership interval after the join (the last unsolicited report
 * goes out at once... ) and that plus the hosts' unsolicited report retransmissions (robustness 2,
 * 1 s apart for IGMPv3 / MLDv2) and the bridge's timer granularity.
 */
const STOP_WINDOW_MS = { from: MEMBERSHIP_MS - 1000, to: MEMBERSHIP_MS + 3000 } as const;
/** A continuing stream's last packet is this close to the end of the run. */
const CONTINUE_SLACK_MS = 1000;

const BRIDGE = {
  querier: 'above-relay' as const,
  noFlood: true,
  mcastTimers: {
    mcast_membership_interval: BRIDGE_MEMBERSHIP_CS,
    mcast_query_interval: 360_000,
    mcast_startup_query_count: 1,
    mcast_query_response_interval: LAB_IGMP.queryResponseInterval * 100,
  },
};

async function arm(o: ScenarioOptions, mcr: McrStartOptions): Promise<SegmentsRunResult> {
  const spells: ListenerSpell[] = [0, 1].map((slot) => ({ segment: 0, slot, stream: 0, joinAtMs: JOIN_AT_MS, leaveAtMs: RUN_SECONDS * 1000 }));
  return runSegments({
    family: o.family,
    streams: 1,
    ratePps: o.rate,
    size: o.size,
    segments: 1,
    receivers: 2,
    versions: [{ igmp: 3, mld: 2 }],
    snooping: { 0: BRIDGE },
    mcr: { workers: o.workers, fanoutMode: o.fanoutMode, ...mcr },
    spells,
    seconds: RUN_SECONDS,
    tailMs: 500,
    warmupMs: 1000,
    onProgress: o.onProgress,
  });
}

interface ArmFigures {
  arm: string;
  receiver: string;
  firstMs: number | null;
  /** From the receiver's join to its last packet, ms. */
  lastAfterJoinMs: number | null;
  /** From its last packet to the end of the run (the receivers leave then), ms. */
  silentAtEndMs: number | null;
  unique: number;
}

function figures(name: string, r: SegmentsRunResult): ArmFigures[] {
  return r.spells.map((s) => ({
    arm: name,
    receiver: s.ns,
    firstMs: s.firstMs !== null && s.joinedMs !== null ? s.firstMs - s.joinedMs : null,
    lastAfterJoinMs: s.lastMs !== null && s.joinedMs !== null ? s.lastMs - s.joinedMs : null,
    silentAtEndMs: s.lastMs !== null && s.stopMs !== null ? s.stopMs - s.lastMs : null,
    unique: s.unique,
  }));
}

const r0 = (x: number | null) => (x === null ? null : Math.round(x));

export async function querierless(o: ScenarioOptions): Promise<ScenarioReport> {
  const violations: Violation[] = [];
  const cureQuerier = o.injectBug === 'no-querier' ? 'never' : 'auto';
  o.onProgress(`querierless: ${o.family}, bridge membership interval ${MEMBERSHIP_MS / 1000} s, ${RUN_SECONDS} s per arm${o.injectBug ? `, inject-bug ${o.injectBug}` : ''}`);
  o.onProgress('querierless 1/2: mcr forward "always", no querier: the stream must stop');
  const failure = figures('no querier', await arm(o, { igmp: { querier: 'never' } }));
  o.onProgress(`querierless 2/2: mcr forward "listeners", igmp.querier "${cureQuerier}": the stream must continue`);
  const cure = figures(`mcr querier${cureQuerier === 'never' ? ' (never: inject-bug no-querier)' : ''}`, await arm(o, { forward: 'listeners', igmp: { querier: cureQuerier, ...LAB_IGMP } }));
  for (const f of failure) {
    if (f.firstMs === null) {
      violations.push({ metric: 'neverArrived', value: 0, threshold: 1, message: `no querier: ${f.receiver} never got the stream, so the stop after the membership timeout is not shown` });
    } else if (f.silentAtEndMs! < CONTINUE_SLACK_MS || f.lastAfterJoinMs! < STOP_WINDOW_MS.from || f.lastAfterJoinMs! > STOP_WINDOW_MS.to) {
      violations.push({ metric: 'noStop', value: f.lastAfterJoinMs!, threshold: STOP_WINDOW_MS.to,
        message: `no querier: ${f.receiver}'s stream ended ${r0(f.lastAfterJoinMs)} ms after its join and ${r0(f.silentAtEndMs)} ms before the end (expected a stop ${STOP_WINDOW_MS.from}..${STOP_WINDOW_MS.to} ms after the join: the bridge's membership timeout)` });
    }
  }
  for (const f of cure) {
    if (f.firstMs === null || f.silentAtEndMs! > CONTINUE_SLACK_MS) {
      violations.push({ metric: 'streamStopped', value: f.silentAtEndMs ?? Infinity, threshold: CONTINUE_SLACK_MS,
        message: `${f.arm}: ${f.receiver}'s stream ${f.firstMs === null ? 'never arrived' : `stopped ${r0(f.lastAfterJoinMs)} ms after its join, ${r0(f.silentAtEndMs)} ms before the end of the run`} (the bridge's membership timeout is ${MEMBERSHIP_MS} ms: the querier must keep it fresh)` });
    }
  }
  const rows: Row[] = [...failure, ...cure].map((f) => ({ arm: f.arm, receiver: f.receiver, 'first ms': r0(f.firstMs), 'last after join ms': r0(f.lastAfterJoinMs), 'silent at end ms': r0(f.silentAtEndMs), unique: f.unique }));
  return makeReport(o, {
    violations,
    columns: ['arm', 'receiver', 'first ms', 'last after join ms', 'silent at end ms', 'unique'],
    rows,
    summary: [
      `bridge: snooping, mcast_flood off on the receivers' ports, membership interval ${MEMBERSHIP_MS} ms, its own querier asking once (every ${BRIDGE.mcastTimers.mcast_query_interval / 100} s)`,
      `no querier: expected the stream to stop ${STOP_WINDOW_MS.from}..${STOP_WINDOW_MS.to} ms after the join; with mcr's querier (every ${LAB_IGMP.queryInterval} s): to run until the end (${RUN_SECONDS} s)`,
    ],
    details: { membershipMs: MEMBERSHIP_MS, runSeconds: RUN_SECONDS, failure, cure },
  });
}
