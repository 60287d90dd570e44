// snooping: N streams through any relay behind the IGMP/MLD-snooping bridge (`switch` topology),
// where a group reaches the relay only while the relay has joined it. What must hold for IPv6:
// 30 groups behind the MLD-snooping bridge all arrive (`--family ipv6`, default 30 streams).
//   1. the bridge snoops: a group nobody joined, sent before the trial, does not reach the relay's
//      input (its receive counter), so "all arrive" cannot come from flooding;
//   2. every stream is delivered (loss, duplicates, cross-talk per stream);
//   3. /proc/net/igmp (igmp6) on the relay's input lists every stream's group.
// Negative control `--inject-bug no-igmp` (any relay): the relay does not join (mcr igmp.join false,
// socat without ip-add-membership / ipv6-join-group, smcroute without mgroup); nothing passes the
// bridge and the scenario must report the loss.
import { joinedGroups, rxPackets } from '../bed/index.js';
import { type AddressFamily, LAB_TTL, runSender } from '@mcr/netns-lab';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, streamRows, trialTotals, STREAM_COLUMNS, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, trialOptions, withBed } from './common.js';

/** The unjoined probe group (outside the stream plan) and how many packets it gets. */
const UNJOINED: Record<AddressFamily, { group: string; port: number }> = {
  ipv4: { group: '239.7.7.1', port: 7701 },
  ipv6: { group: 'ff3e::7:1', port: 7701 },
};
const UNJOINED_PACKETS = 200;
/** Frames on the relay input that are not the probe (bridge queries, reports): a handful, not 200. */
const UNJOINED_SLACK = 20;

export async function snooping(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  const join = o.injectBug !== 'no-igmp';
  const proto = o.family === 'ipv6' ? 'MLD' : 'IGMP';
  o.onProgress(`snooping: ${o.relay} behind the ${proto}-snooping bridge, ${o.family}, ${n} streams, joins ${join ? 'on' : 'off (inject-bug no-igmp)'}`);
  return withBed(bedOptions(o, n, o.relay, { topology: 'switch' }), async (bed) => {
    const violations: Violation[] = [];
    const topo = bed.lab.topo;
    const rly = topo.relay.ns;
    const in0 = topo.relay.inputs[0]!.ifname;
    const label = `${bed.relay.label}, ${o.family}`;

    // 1. the bridge does not flood an unjoined group to the relay port.
    const probe = UNJOINED[o.family];
    const before = await rxPackets(rly, in0);
    await runSender({ netns: topo.source.ns, interface: topo.source.ifname, ttl: LAB_TTL, streams: [probe], count: UNJOINED_PACKETS, rate: 2000, size: 200 });
    const leaked = (await rxPackets(rly, in0)) - before;
    if (leaked >= UNJOINED_SLACK) {
      violations.push({ metric: 'unjoinedFrames', value: leaked, threshold: UNJOINED_SLACK,
        message: `${label}: ${leaked} frames reached ${rly}/${in0} while only the unjoined group ${probe.group} was sent (${UNJOINED_PACKETS} packets): the bridge floods, so delivery proves nothing about ${proto}` });
    }

    // 2. delivery.
    const r = await bed.trial(trialOptions(o));
    violations.push(...checkTrial(r, o, label));

    // 3. memberships, read while the relay runs.
    const groups = [...new Set(bed.streams.map((s) => s.group))];
    const joined = await joinedGroups(rly, in0, o.family);
    const missing = groups.filter((g) => !joined.includes(g));
    if (join && missing.length) {
      violations.push({ metric: 'notJoined', value: missing.length, threshold: 0,
        message: `${label}: ${missing.length} of ${groups.length} stream groups not joined on ${rly}/${in0}: ${missing.slice(0, 8).join(', ')}` });
    }
    return makeReport(o, {
      violations,
      columns: STREAM_COLUMNS,
      rows: streamRows(r),
      summary: [
        `relay ${bed.relay.label} behind the ${proto}-snooping bridge (${o.family}): sent ${r.sent}, unique ${r.unique}, duplicates ${r.duplicates}, loss ${r.lossPct.toFixed(3)} %`,
        `groups joined on ${rly}/${in0}: ${groups.length - missing.length} of ${groups.length}${join ? '' : ' (joins off: inject-bug no-igmp)'}; unjoined ${probe.group}: ${leaked} frames reached the relay for ${UNJOINED_PACKETS} sent`,
      ],
      details: { trial: trialTotals(r), joined, unjoinedFrames: leaked },
    });
  });
}
