// listeners: receiver-driven relaying proved on three output segments. mcr relays --streams groups
// from one input to three outputs with forward "listeners"; on each output segment (a bridge) four
// receivers, each its own host stack forced to IGMPv2 / IGMPv3 (ipv4) or MLDv1 / MLDv2 (ipv6), join
// and leave at random (seeded: --seed replays a run) for --seconds; a passive observer per segment
// records every packet and IGMP/MLD message that reaches it. Segment 1's bridge also snoops and runs
// its own querier with an address below mcr's (10.s.0.1, fe80::1 against 10.s.0.2, fe80::2), stopped
// at half time. Asserted (bounds and their derivation: listeners/timers.ts, docs/listeners.md):
//   - every receiver's first packet within JOIN_BOUND_MS of its join;
//   - no packet on a segment later than LEAVE_BOUND_MS after its group's last listener left, and none
//     before anyone listened;
//   - no duplicate on a segment or at a receiver;
//   - mcr's `queriers` (stats): non-querier under the bridge querier while it runs, the querier again
//     within the other querier present interval once it stops; the querier all along elsewhere.
// Negative control `--inject-bug ignore-leaves` (testOnly.ignoreLeaves): groups outlive their last
// listener until their membership timer runs out; the leave bound must catch it.
import { BRIDGE_QUERIER_TIMERS, JOIN_BOUND_MS, LAB_IGMP, LAB_INTERVALS_MS, LEAVE_BOUND_MS, MEMBERSHIP_BOUND_MS, TAKEOVER_SLACK_MS } from '../listeners/timers.js';
import { listenerSchedule } from '../listeners/schedule.js';
import { runSegments, stopBridgeQuerier } from '../listeners/segments-run.js';
import { analyseListeners, analyseQuerier, LISTENER_COLUMNS, querierTimeline } from '../listeners/analysis.js';
import type { ScenarioOptions } from './options.js';
import { makeReport, type ScenarioReport } from './report.js';
import { seeded } from './common.js';

export const LISTENER_SEGMENTS = 3;
export const LISTENER_RECEIVERS = 4;
/** The output segment whose bridge runs its own querier, below mcr's address. */
export const QUERIER_SEGMENT = 1;

export async function listeners(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  const label = `mcr, ${o.family}`;
  const spells = listenerSchedule(seeded(o.seed), { segments: LISTENER_SEGMENTS, receivers: LISTENER_RECEIVERS, streams: n, seconds: o.seconds });
  o.onProgress(`listeners: ${o.family}, ${n} groups at ${o.rate} pps, ${LISTENER_SEGMENTS} segments x ${LISTENER_RECEIVERS} receivers, ${o.seconds} s, seed ${o.seed}${o.injectBug ? `, inject-bug ${o.injectBug}` : ''}`);
  const stopAtMs = (o.seconds * 1000) / 2;
  const run = await runSegments({
    family: o.family,
    streams: n,
    ratePps: o.rate,
    size: o.size,
    segments: LISTENER_SEGMENTS,
    receivers: LISTENER_RECEIVERS,
    snooping: { [QUERIER_SEGMENT]: { querier: 'below-relay', mcastTimers: BRIDGE_QUERIER_TIMERS } },
    mcr: {
      workers: o.workers,
      fanoutMode: o.fanoutMode,
      forward: 'listeners',
      igmp: { querier: 'auto', ...LAB_IGMP },
      ...(o.injectBug === 'ignore-leaves' ? { testOnly: { ignoreLeaves: true } } : {}),
    },
    spells,
    events: [{ atMs: stopAtMs, what: `bridge querier of segment ${QUERIER_SEGMENT} stops (mcast_querier 0)`, run: stopBridgeQuerier(QUERIER_SEGMENT) }],
    seconds: o.seconds,
    tailMs: LAB_INTERVALS_MS.groupMembership + 1000,
    warmupMs: 3000,
    onProgress: o.onProgress,
  });
  const bounds = { joinMs: JOIN_BOUND_MS, leaveMs: LEAVE_BOUND_MS, membershipMs: MEMBERSHIP_BOUND_MS };
  const a = analyseListeners(run, bounds, label, querierTimeline(run.samples, run.topo.segments!.map((s) => s.relay.ifname), o.family));
  const seg = run.topo.segments![QUERIER_SEGMENT]!;
  const stopped = run.events[0]?.t ?? run.t0 + stopAtMs;
  const q = analyseQuerier(run.samples, {
    interface: seg.relay.ifname,
    bridgeAddress: o.family === 'ipv6' ? 'fe80::1' : seg.querier!.ip,
    stoppedAt: stopped,
    heardBy: run.t0,
    otherQuerierPresentMs: LAB_INTERVALS_MS.otherQuerierPresent,
    bridgeQueryIntervalMs: BRIDGE_QUERIER_TIMERS.mcast_query_interval * 10,
    slackMs: TAKEOVER_SLACK_MS,
    aloneOn: run.topo.segments!.filter((s) => s.index !== QUERIER_SEGMENT).map((s) => s.relay.ifname),
  }, o.family, label);
  const violations = [...a.violations, ...q.violations];
  if (run.senderError) violations.push({ metric: 'sender', value: 0, threshold: 1, message: `${label}: the sender failed: ${run.senderError}` });
  const joins = a.figures.flatMap((f) => f.joinDelays);
  const leaves = a.figures.flatMap((f) => f.leaveDelays);
  const max = (xs: number[]) => (xs.length ? Math.round(Math.max(...xs) * 10) / 10 : '-');
  return makeReport(o, {
    violations,
    columns: LISTENER_COLUMNS,
    rows: a.rows,
    summary: [
      `seed ${o.seed} (--seed ${o.seed} replays this schedule); ${run.spells.length} memberships, ${run.sender?.sent ?? 0} packets sent`,
      `mcr timers: query interval ${LAB_IGMP.queryInterval} s, response ${LAB_IGMP.queryResponseInterval} s, last member ${LAB_IGMP.lastMemberQueryInterval} s x ${LAB_IGMP.robustness}`,
      `bounds: join ${JOIN_BOUND_MS} ms (receiver's join -> its first packet), leave ${LEAVE_BOUND_MS} ms (last listener's leave message -> the segment's last packet), membership ${MEMBERSHIP_BOUND_MS} ms where mcr cannot act on the leave: ${a.silentLeaves} last listeners left without a leave message, ${a.nonQuerierLeaves} left while mcr was not the querier`,
      `join delays: ${joins.length}, max ${max(joins)} ms; leave delays: ${leaves.length}, max ${max(leaves)} ms; leave messages seen on the segments for ${a.leaveMessagesSeen} of ${a.memberships} memberships`,
      q.summary,
    ],
    details: { seed: o.seed, bounds, timers: LAB_IGMP, figures: a.figures, events: run.events, samples: run.samples.length, spells: run.spells },
  });
}
