import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { E2E_ENGINE, pushTraffic, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';

// source ns -> relay ns (mcr) -> sink ns, real veth, real kernel. Rates are modest: loss and
// duplication are correctness here; speed is the bench's business.

describe('forwarding through mcr', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('10 rules, 10 streams: every packet arrives exactly once (the multi-stream bug)', async () => {
    const streams = streamPlan(10);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 1, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const { sent, received } = await pushTraffic(lab, streams, { rate: 10_000, count: 1000 });
      expect(sent.sent).toBe(10_000);
      for (const s of received.streams) {
        expect({ stream: s.stream, unique: s.unique, duplicates: s.duplicates, corrupt: s.corrupt, foreign: s.foreign }).toEqual({
          stream: s.stream,
          unique: 1000,
          duplicates: 0,
          corrupt: 0,
          foreign: 0,
        });
      }
      const stats = await relay.result('stats');
      expect(stats.rules.map((r: { matched: number }) => r.matched)).toEqual(Array(10).fill(1000));
      expect(stats.rules.map((r: { engine: string }) => r.engine)).toEqual(Array(10).fill(E2E_ENGINE));
      expect(stats.totals.forwarded).toBe(10_000);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  // The fanout tests are about the packet engine's workers sharing an input: they pin that engine.
  const packetEngine = { engine: 'packet' };

  it('2 workers in one fanout group: no packet twice, and both workers forward (lb)', async () => {
    const streams = streamPlan(4);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, fanout: { mode: 'lb' }, dataPlane: packetEngine, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const { received } = await pushTraffic(lab, streams, { rate: 10_000, count: 2000 });
      expect(received.totals.duplicates).toBe(0);
      expect(received.totals.unique).toBe(8000);
      const stats = await relay.result('stats');
      expect(stats.workers).toHaveLength(2);
      for (const w of stats.workers) {
        expect(w.pid).toBeGreaterThan(0);
        expect(w.forwarded).toBeGreaterThan(0);
      }
      expect(stats.totals.forwarded).toBe(8000);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('2 workers with hash fanout: no packet twice', async () => {
    const streams = streamPlan(4);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, fanout: { mode: 'hash' }, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const { received } = await pushTraffic(lab, streams, { rate: 10_000, count: 2000 });
      expect(received.totals.duplicates).toBe(0);
      expect(received.totals.unique).toBe(8000);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('negative control: fanout off brings the duplication bug back, and the check catches it', async () => {
    const streams = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, fanout: { mode: 'off' }, dataPlane: packetEngine, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const { received } = await pushTraffic(lab, streams, { rate: 5000, count: 1000 });
      // Each worker's socket got its own copy of every frame.
      expect(received.totals.duplicates).toBe(2000);
      const stats = await relay.result('stats');
      expect(stats.totals.forwarded).toBe(4000);
    } finally {
      await relay.stop();
    }
  });
});
