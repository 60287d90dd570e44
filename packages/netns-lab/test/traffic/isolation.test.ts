// Two receivers on the same port, different groups, in one namespace: each must see only its
// own group. With the kernel default IP_MULTICAST_ALL=1 and an INADDR_ANY bind they would see
// both (field notes); mcr-recv binds to the group and turns IP_MULTICAST_ALL off.
import { describe, expect, it } from 'vitest';
import { runSender, startReceiver } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

describe('receivers sharing a port', () => {
  const lab = useLabPair();

  it('each receiver counts only its own group', async () => {
    const g1 = { group: '239.201.3.1', port: 5200 };
    const g2 = { group: '239.201.3.2', port: 5200 };
    const common = { netns: lab().receiver.ns, interface: lab().receiver.ifname, idleMs: 500, durationSec: 60 };
    const r1 = await startReceiver({ ...common, streams: [g1] });
    const r2 = await startReceiver({ ...common, streams: [g2] });
    try {
      // One sender per group, different counts: stream id 0 in both, so a packet of the other
      // group reaching a receiver would count as received and duplicate, and break the totals.
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: [g1], rate: 20_000, count: 500 });
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: [g2], rate: 20_000, count: 300 });
      const [a, b] = await Promise.all([r1.result, r2.result]);
      expect(a.streams[0]).toMatchObject({ group: g1.group, received: 500, unique: 500, duplicates: 0, foreign: 0, missing: 0 });
      expect(b.streams[0]).toMatchObject({ group: g2.group, received: 300, unique: 300, duplicates: 0, foreign: 0, missing: 0 });
    } finally {
      await Promise.all([r1.stop(), r2.stop()]);
    }
  });
});
