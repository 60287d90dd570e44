// igmp: mcr behind an IGMP-snooping bridge (`switch` topology), where a group reaches the relay
// only while the relay has joined it. With --family ipv6 the same steps run on MLD: the bridge
// snoops MLD, and the memberships are read from /proc/net/igmp6.
//   1. every stream is delivered (the bridge forwards the groups only because mcr joined them);
//   2. /proc/net/igmp (igmp6) in the relay namespace lists exactly the rules' groups on in0;
//   3. `mcr remove s0` under traffic on stream 0: the relay's input stops seeing it (leave delay:
//      time until in0's rx counter stops rising), and the group leaves /proc/net/igmp;
//   4. `mcr add` it back: it arrives again (join delay: time until in0's rx counter rises again);
//   5. every stream is delivered again.
import { joinedGroups, mcrEndpoint, rxPackets, type Bed } from '../bed/index.js';
import { LAB_TTL, runSender } from '@mcr/netns-lab';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialRow, TRIAL_COLUMNS, type Row, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, sleep, trialOptions, withBed } from './common.js';

const POLL_MS = 50;
/** The input counts as quiet after this long without the stream's packets. */
const QUIET_MS = 600;
/** Leave and join must complete within this (IGMPv2 leave on the bridge: last-member queries, ~2 s). */
const DELAY_LIMIT_MS = 15_000;
/** Background rate on the stream under test: 1000 pps = ~50 packets per poll. */
const PROBE_PPS = 1000;
/** A poll interval with at least this many new frames on in0 means the stream arrives. */
const FLOWING = 10;

async function checkMemberships(bed: Bed, expected: string[], when: string): Promise<{ joined: string[]; violations: Violation[] }> {
  const ns = bed.lab.topo.relay.ns;
  const ifname = bed.lab.topo.relay.inputs[0]!.ifname;
  const family = bed.options.family ?? 'ipv4';
  const table = family === 'ipv6' ? '/proc/net/igmp6' : '/proc/net/igmp';
  const joined = await joinedGroups(ns, ifname, family);
  const violations: Violation[] = [];
  const missing = expected.filter((g) => !joined.includes(g));
  const extra = joined.filter((g) => !expected.includes(g));
  if (missing.length) {
    violations.push({ metric: 'igmpMissing', value: missing.length, threshold: 0,
      message: `${when}: ${table} on ${ns}/${ifname} lacks ${missing.length} rule group(s): ${missing.slice(0, 8).join(', ')}` });
  }
  if (extra.length) {
    violations.push({ metric: 'igmpExtra', value: extra.length, threshold: 0,
      message: `${when}: ${table} on ${ns}/${ifname} has ${extra.length} group(s) no rule needs: ${extra.slice(0, 8).join(', ')}` });
  }
  return { joined, violations };
}

/** Polls in0's rx counter until the stream stops (no FLOWING increase for QUIET_MS); ms from t0 to the last increase. */
async function measureLeave(ns: string, ifname: string, t0: number): Promise<number | null> {
  let prev = await rxPackets(ns, ifname);
  let lastActive = t0;
  while (Date.now() - t0 < DELAY_LIMIT_MS) {
    await sleep(POLL_MS);
    const now = await rxPackets(ns, ifname);
    if (now - prev >= FLOWING / 5) lastActive = Date.now();
    prev = now;
    if (Date.now() - lastActive >= QUIET_MS) return Math.max(0, lastActive - t0);
  }
  return null;
}

/** Polls in0's rx counter until the stream arrives; ms from t0. */
async function measureJoin(ns: string, ifname: string, t0: number): Promise<number | null> {
  let prev = await rxPackets(ns, ifname);
  while (Date.now() - t0 < DELAY_LIMIT_MS) {
    await sleep(POLL_MS);
    const now = await rxPackets(ns, ifname);
    if (now - prev >= FLOWING) return Date.now() - t0;
    prev = now;
  }
  return null;
}

export async function igmp(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  o.onProgress(`igmp: mcr on switch (${o.family === 'ipv6' ? 'MLD' : 'IGMP'} snooping bridge), ${o.family}, ${n} streams, igmp.join ${o.injectBug === 'no-igmp' ? 'false (inject-bug no-igmp)' : 'true'}`);
  return withBed(bedOptions(o, n, 'mcr', { topology: 'switch' }), async (bed) => {
    const violations: Violation[] = [];
    const rows: Row[] = [];
    const summary: string[] = [];
    const details: Record<string, unknown> = {};
    const topo = bed.lab.topo;
    const rly = topo.relay.ns;
    const in0 = topo.relay.inputs[0]!.ifname;
    const groups = [...new Set(bed.streams.map((s) => s.group))];

    // 1. delivery
    o.onProgress('igmp: delivery through the snooping bridge');
    const first = await bed.trial(trialOptions(o));
    const v1 = checkTrial(first, o, 'joined');
    violations.push(...v1);
    rows.push(trialRow(first, { step: 'joined' }));

    // 2. memberships
    const m1 = await checkMemberships(bed, groups, 'while running');
    violations.push(...m1.violations);
    details.membershipsRunning = m1.joined;

    if (v1.length || m1.violations.length) {
      summary.push('streams not delivered or groups not joined: leave/join delays not measured');
    } else {
      // 3./4. leave and join under traffic on stream 0
      const s0 = bed.streams[0]!;
      const src = topo.source;
      const bg = new AbortController();
      const probe = runSender({ netns: src.ns, interface: src.ifname, ttl: LAB_TTL, streams: [{ group: s0.group, port: s0.port }], rate: PROBE_PPS, durationSec: 120, signal: bg.signal });
      try {
        if ((await measureJoin(rly, in0, Date.now())) === null) {
          violations.push({ stream: 0, metric: 'probe', value: 0, threshold: 1, message: `stream 0 probe traffic (${s0.group}:${s0.port}) never reached ${rly}/${in0}` });
        } else {
          o.onProgress('igmp: mcr remove s0 (leave)');
          const tLeave = Date.now();
          await bed.mcr!.remove('s0');
          const cliLeaveMs = Date.now() - tLeave;
          const leaveMs = await measureLeave(rly, in0, tLeave);
          if (leaveMs === null) {
            violations.push({ stream: 0, metric: 'leaveDelayMs', value: DELAY_LIMIT_MS, threshold: DELAY_LIMIT_MS,
              message: `stream 0 (${s0.group}) still reaches ${rly}/${in0} ${DELAY_LIMIT_MS} ms after \`mcr remove s0\`: no leave` });
          }
          const m2 = await checkMemberships(bed, groups.filter((g) => g !== s0.group || bed.streams.slice(1).some((s) => s.group === g)), 'after remove s0');
          violations.push(...m2.violations);
          details.membershipsAfterRemove = m2.joined;

          o.onProgress('igmp: mcr add s0 (join)');
          const out = topo.relay.outputs.map((x) => mcrEndpoint(x.ifname, s0.outGroup, s0.outPort, LAB_TTL));
          const tJoin = Date.now();
          await bed.mcr!.add({ id: 's0', input: mcrEndpoint(in0, s0.group, s0.port), outputs: out });
          const cliJoinMs = Date.now() - tJoin;
          const joinMs = await measureJoin(rly, in0, tJoin);
          if (joinMs === null) {
            violations.push({ stream: 0, metric: 'joinDelayMs', value: DELAY_LIMIT_MS, threshold: DELAY_LIMIT_MS,
              message: `stream 0 (${s0.group}) does not reach ${rly}/${in0} within ${DELAY_LIMIT_MS} ms after \`mcr add\`: no join` });
          }
          const m3 = await checkMemberships(bed, groups, 'after add s0');
          violations.push(...m3.violations);
          details.membershipsAfterAdd = m3.joined;
          details.leaveDelayMs = leaveMs;
          details.joinDelayMs = joinMs;
          details.cliMs = { remove: cliLeaveMs, add: cliJoinMs };
          summary.push(
            `leave delay (mcr remove -> ${in0} stops seeing ${s0.group}): ${leaveMs === null ? 'none' : `${leaveMs} ms`} (the mcr CLI call took ${cliLeaveMs} ms)`,
            `join delay (mcr add -> ${in0} sees ${s0.group} again): ${joinMs === null ? 'none' : `${joinMs} ms`} (the mcr CLI call took ${cliJoinMs} ms)`,
            `resolution ${POLL_MS} ms (rx counter polls); quiet = no packets for ${QUIET_MS} ms`,
          );
        }
      } finally {
        bg.abort();
        await probe.catch(() => undefined);
      }

      // 5. delivery again
      o.onProgress('igmp: delivery after the re-join');
      await sleep(300);
      const again = await bed.trial(trialOptions(o));
      violations.push(...checkTrial(again, o, 'after re-join'));
      rows.push(trialRow(again, { step: 'after re-join' }));
    }
    summary.unshift(`groups joined on ${rly}/${in0}: ${m1.joined.join(', ') || 'none'}`);
    return makeReport(o, { violations, columns: ['step', ...TRIAL_COLUMNS], rows, summary, details });
  });
}
