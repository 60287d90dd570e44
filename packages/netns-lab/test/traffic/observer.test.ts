// mcr-observe on a real segment (the `segments` topology, one output segment, no relay): it sees the
// datagrams sent onto the segment and the receivers' IGMP/MLD messages in the version their host
// stack is forced to (IGMPv2 report + leave, IGMPv3 TO_EX/TO_IN records; MLDv1 report + done, MLDv2
// records), with times on mcr-recv's clock; and mcr-recv reports when it joined and its first and last packet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSender, startObserver, startReceiver, type ObservedData, type ObservedMembership } from '../../src/traffic/index.js';
import { segments, uniquePrefix, up, type Lab } from '../../src/topology/index.js';

let lab: Lab;
beforeAll(async () => {
  lab = await up(segments({ prefix: uniquePrefix(), segments: 1, receivers: 2 }));
});
afterAll(async () => {
  await lab?.down();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mcr-observe', () => {
  it.each([
    ['ipv4', '239.9.0.1', ['report', 'leave'], [4, 3]],
    ['ipv6', 'ff3e::9:1', ['report', 'leave'], [4, 3]],
  ] as const)('%s: datagrams and the receivers\' joins and leaves, in their forced versions', async (family, group, v1Types, v3Records) => {
    const seg = lab.topo.segments![0]!;
    const [older, newer] = seg.receivers;
    const ob = await startObserver({ netns: seg.observer.ns, interface: seg.observer.ifname });
    const reports = [];
    for (const r of [older!, newer!]) {
      const h = await startReceiver({ netns: r.ns, interface: r.ifname, streams: [{ group, port: 6001 }], receiveBufferBytes: 0 });
      await runSender({ netns: seg.relay.ns, interface: seg.relay.ifname, streams: [{ group, port: 6001 }], count: 20, rate: 1000, size: 200, ttl: 4 });
      await sleep(100);
      reports.push(await h.stop());
      await sleep(300);
    }
    const seen = await ob.stop();
    const data = seen.filter((o): o is ObservedData => o.kind === 'data' && o.group === group);
    expect(data.length).toBe(40);
    const msgs = seen.filter((o): o is ObservedMembership => o.kind === (family === 'ipv4' ? 'igmp' : 'mld'));
    const about = (m: ObservedMembership) => m.group === group || (m.records ?? []).some((x) => x.group === group);
    // The older host: a v1/v2-style report and leave; the newer: records TO_EX then TO_IN.
    const olderSrc = msgs.find((m) => about(m) && m.type === v1Types[0])?.src;
    expect(olderSrc).toBeDefined();
    expect(msgs.some((m) => m.src === olderSrc && m.type === v1Types[1] && m.group === group)).toBe(true);
    const records = msgs.filter((m) => m.type === 'v3report').flatMap((m) => (m.records ?? []).filter((x) => x.group === group).map((x) => x.type));
    expect(records).toEqual(expect.arrayContaining([...v3Records]));
    // One clock: each receiver joined before its first packet, which the observer saw first.
    for (const rep of reports) {
      const s = rep.streams[0]!;
      expect(s.unique).toBe(20);
      expect(rep.joinedMs!).toBeLessThan(s.firstMs!);
      expect(s.lastMs!).toBeGreaterThanOrEqual(s.firstMs!);
      const onWire = data.filter((d) => d.t <= s.lastMs! + 1 && d.t >= rep.joinedMs!);
      expect(onWire.length).toBeGreaterThanOrEqual(20);
    }
  });
});
