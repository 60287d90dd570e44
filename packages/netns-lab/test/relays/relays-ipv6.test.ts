// The IPv6 baselines side by side on one chain lab: socat (UDP6-RECV with ipv6-join-group,
// UDP6-SENDTO, group rewrite), socat on a shared port (the negative control's IPv6 twin:
// cross-talk), and the in-kernel reference `kernel` resolves to here: smcroute's IPv6 routes, which
// decrement the hop limit mcr-send sets (1 dies at the router, 2 crosses it), or the tc mirror, which
// passes frames unchanged (1 crosses too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../src/netns/index.js';
import { SocatRelay, type RelayUnderTest, type StreamSpec } from '../../src/relays/index.js';
import { chain, clean, uniquePrefix, up, type Lab } from '../../src/topology/index.js';
import { runSender } from '../../src/traffic/index.js';
import { prime, receive } from '../../src/traffic/lab-traffic.js';
import { kernelReference } from '../kernel-reference.js';
import { forwardThrough } from '../../src/relays/index.js';

const prefix = uniquePrefix();
let lab: Lab;
beforeAll(async () => {
  lab = await up(chain({ prefix }));
});
afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    await clean(prefix);
  }
  expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
});

const COUNT = 1000;

const forward = async (relay: RelayUnderTest, streams: StreamSpec[]) => (await forwardThrough(lab, relay, streams, COUNT, { family: 'ipv6' })).results;

describe('IPv6 relays under test', () => {
  it('socat: UDP6-RECV/UDP6-SENDTO, one process per stream, group and port rewritten, no duplicates', async () => {
    const results = await forward(new SocatRelay(), [
      { group: 'ff3e::11:1', port: 5011, outGroup: 'ff3e::19:1', outPort: 6011 },
      { group: 'ff3e::11:2', port: 5012, outGroup: 'ff3e::19:2', outPort: 6012 },
    ]);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
  });

  it('socat-shared-port: processes bound to [::]:port with IPV6_MULTICAST_ALL on receive every group (cross-talk)', async () => {
    const results = await forward(new SocatRelay({ sharedPort: true }), [
      { group: 'ff3e::12:1', port: 5013, outGroup: 'ff3e::18:1', outPort: 6013 },
      { group: 'ff3e::12:2', port: 5013, outGroup: 'ff3e::18:2', outPort: 6014 },
    ]);
    for (const r of results) {
      expect(r.unique).toBe(COUNT);
      expect(r.foreign).toBeGreaterThan(0);
    }
  });

  it('kernel (the reference for this kernel, IPv6): two streams, output group = input group', async () => {
    const results = await forward(await kernelReference('ipv6'), [
      { group: 'ff3e::13:1', port: 5015, outGroup: 'ff3e::13:1', outPort: 5015 },
      { group: 'ff3e::13:2', port: 5016, outGroup: 'ff3e::13:2', outPort: 5016 },
    ]);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
  });

  it('kernel: mcr-send\'s hop limit holds: 1 dies at a multicast router and crosses the tc mirror, 2 crosses both', async () => {
    const s = [{ group: 'ff3e::14:1', port: 5017 }];
    const relay = await kernelReference('ipv6');
    await relay.start(lab, s.map((x) => ({ ...x, outGroup: x.group, outPort: x.port })));
    try {
      await prime(lab.topo.source, s);
      const counts: number[] = [];
      for (const ttl of [1, 2]) {
        const rx = await receive(lab.topo.sinks[0]!, s, 100);
        await runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: s, count: 100, rate: 2000, ttl });
        counts.push((await rx.stop()).streams[0]!.unique);
      }
      expect(counts).toEqual(relay.name === 'kernel-mfc' ? [0, 100] : [100, 100]);
    } finally {
      await relay.stop();
    }
  });

  it('a relay refuses streams of two families, naming the field', async () => {
    await expect(new SocatRelay().start(lab, [{ group: 'ff3e::15:1', port: 5019, outGroup: '239.9.9.9', outPort: 6019 }])).rejects.toThrow(/streams\[0\]\.outGroup must be an ipv6 address/);
  });

});
