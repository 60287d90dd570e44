// Real traffic between two namespaces: 3 streams x 1000 packets at 20 kpps arrive complete,
// unique and on their own stream, with latency figures.
import { describe, expect, it } from 'vitest';
import { runSender, startReceiver } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

const streams = [
  { group: '239.201.1.1', port: 5001 },
  { group: '239.201.1.2', port: 5001 },
  { group: '239.201.1.3', port: 5002 },
];

describe('mcr-send -> mcr-recv across the lab chain (src -> rly in0)', () => {
  const lab = useLabPair();

  it('delivers 3 streams x 1000 packets at 20 kpps complete, unique, in order, no cross-talk', async () => {
    // idleMs ends the run once traffic stops; durationSec bounds it if nothing ever arrives.
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams, expect: 1000, idleMs: 500, durationSec: 60 });
    try {
      const sent = await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, rate: 20_000, count: 1000 });
      expect(sent).toMatchObject({ sent: 3000, perStream: [1000, 1000, 1000], offeredPps: 20_000, errors: 0 });
      expect(sent.achievedPps).toBeGreaterThan(0);

      const report = await receiver.result;
      expect(report.streams).toHaveLength(3);
      report.streams.forEach((s, i) => {
        expect(s).toMatchObject({
          stream: i,
          group: streams[i]!.group,
          port: streams[i]!.port,
          received: 1000,
          unique: 1000,
          duplicates: 0,
          missing: 0,
          reordered: 0,
          corrupt: 0,
          foreign: 0,
        });
        for (const v of [s.latencyUs.p50, s.latencyUs.p99, s.latencyUs.p999, s.latencyUs.max]) {
          expect(typeof v).toBe('number');
          expect(v).toBeGreaterThanOrEqual(0);
        }
        expect(s.latencyUs.p50!).toBeLessThanOrEqual(s.latencyUs.p99!);
        expect(s.latencyUs.p99!).toBeLessThanOrEqual(s.latencyUs.p999!);
        expect(s.latencyUs.p999!).toBeLessThanOrEqual(s.latencyUs.max!);
      });
      expect(report.totals).toMatchObject({ received: 3000, unique: 3000, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    } finally {
      await receiver.stop();
    }
  });

  it('stop() returns the report of a receiver that is still running, with null latency when nothing arrived', async () => {
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams: [{ group: '239.201.1.9', port: 5009 }] });
    const report = await receiver.stop();
    expect(report.totals).toMatchObject({ received: 0, unique: 0, missing: 0 });
    expect(report.streams[0]!.latencyUs).toEqual({ p50: null, p99: null, p999: null, max: null });
    expect(await receiver.stop()).toBe(report); // idempotent
  });

  it('an aborted sender without count reports what it sent', async () => {
    const controller = new AbortController();
    const run = runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, rate: 1000, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const sent = await run;
    expect(sent.sent).toBeGreaterThan(0);
    expect(sent.perStream.reduce((a, b) => a + b, 0)).toBe(sent.sent);
  });
});
