// Real traffic between two namespaces: 3 streams x 1000 packets at 20 kpps arrive complete,
// unique and on their own stream, with latency figures; the same through raw frames (--raw) and
// from several processes (--senders), whose payloads mcr-recv must find exactly as valid.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { namespacePids } from '../../src/netns/index.js';
import { runSender, senderArgs, startReceiver, toolPath, TrafficToolError, type SenderOptions } from '../../src/traffic/index.js';
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

  it.each([{ senders: 1 }, { senders: 2 }])('an aborted sender without count reports what it sent (%j)', async ({ senders }) => {
    const controller = new AbortController();
    const run = runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, rate: 1000, senders, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const sent = await run;
    expect(sent.sent).toBeGreaterThan(0);
    expect(sent.perStream.every((n) => n > 0)).toBe(true);
    expect(sent.perStream.reduce((a, b) => a + b, 0)).toBe(sent.sent);
  });

  // Every packet once, valid, on its own stream: a wrong stream id from a process that sends only
  // some streams would count as foreign, a bad IP or UDP checksum as missing (the kernel drops it
  // before any socket), a payload that differs from mcr-send's own as corrupt.
  it.each<Partial<SenderOptions>>([{ raw: true }, { senders: 2 }, { raw: true, senders: 2 }])(
    '%j delivers 3 streams x 1000 packets at 20 kpps exactly once, valid, no cross-talk',
    async (mode) => {
      const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams, expect: 1000, idleMs: 500, durationSec: 60 });
      try {
        const sent = await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, rate: 20_000, count: 1000, ...mode });
        expect(sent).toMatchObject({ sent: 3000, perStream: [1000, 1000, 1000], offeredPps: 20_000 });
        // Shares of 20 kpps that add up to it: the achieved rate is the sum of the processes' rates.
        expect(sent.achievedPps).toBeGreaterThan(15_000);
        expect(sent.achievedPps).toBeLessThan(25_000);
        const report = await receiver.result;
        report.streams.forEach((s, i) => {
          expect(s).toMatchObject({ stream: i, group: streams[i]!.group, received: 1000, unique: 1000, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
        });
      } finally {
        await receiver.stop();
      }
    },
  );

  it('--senders 2 with --count: each stream gets its count and its share of the rate (2 + 1 streams)', async () => {
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams, expect: 300, idleMs: 500, durationSec: 60 });
    try {
      // 6 kpps over 3 streams: process 0 (streams 0 and 2) paces 4 kpps, process 1 (stream 1) 2 kpps,
      // so both finish their 600 and 300 packets after ~150 ms and the elapsed time shows it.
      const sent = await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, rate: 6000, count: 300, senders: 2 });
      expect(sent).toMatchObject({ sent: 900, perStream: [300, 300, 300] });
      expect(sent.elapsedNs / 1e6).toBeGreaterThan(120);
      expect(sent.elapsedNs / 1e6).toBeLessThan(400);
      const report = await receiver.result;
      expect(report.totals).toMatchObject({ received: 900, unique: 900, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    } finally {
      await receiver.stop();
    }
  });

  it('--senders: no sender process outlives a parent killed with SIGKILL (PR_SET_PDEATHSIG)', async () => {
    const ns = lab().sender.ns;
    expect(await namespacePids(ns)).toEqual([]);
    const args = senderArgs({ streams, interface: lab().sender.ifname, rate: 2000, senders: 3, durationSec: 60 });
    // `ip netns exec` execs mcr-send: the child's pid is the parent sender's.
    const parent = execa('ip', ['netns', 'exec', ns, toolPath('mcr-send'), ...args], { reject: false });
    try {
      let pids: number[] = [];
      for (let i = 0; i < 50 && pids.length < 4; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pids = await namespacePids(ns);
      }
      expect(pids).toHaveLength(4); // the parent and its three processes
      parent.kill('SIGKILL');
      await parent;
      for (let i = 0; i < 40 && pids.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pids = await namespacePids(ns);
      }
      expect(pids).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('--raw refuses a payload that does not fit the MTU unfragmented (exit 2, naming the MTU)', async () => {
    const err = await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams, count: 1, size: 1473, raw: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrafficToolError);
    expect(err).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/1501-byte IP packets, more than eth0's MTU of 1500/) });
  });
});
