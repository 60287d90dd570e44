import { describe, expect, it } from 'vitest';
import { describeFigure, searchRates, type ProgressEvent, type SearchConfig } from '../../src/search/search.js';
import { verdict } from '../../src/search/verdict.js';
import { modelTrial, type Model } from '../helpers.js';

const cfg: SearchConfig = { floorPps: 5_000, ceilingPps: 600_000, rungs: 12, resolution: 1.05, maxLossPct: 0.1, senderBoundRatio: 0.97 };

function run(models: Record<string, Model>, c: SearchConfig = cfg, events?: ProgressEvent[]) {
  const fns = Object.fromEntries(Object.entries(models).map(([k, m]) => [k, modelTrial(m)]));
  return searchRates(Object.keys(models), async (relay, rate) => fns[relay]!(rate), c, (e) => events?.push(e));
}

describe('verdict', () => {
  it('separates NDR, PDR, duplicates and sender-bound trials', () => {
    const t = modelTrial({ ndr: 100_000, pdr: 200_000 });
    expect(verdict(t(50_000), 0.1, 0.97)).toMatchObject({ ndrPass: true, pdrPass: true, senderBound: false });
    expect(verdict(t(150_000), 0.1, 0.97)).toMatchObject({ ndrPass: false, pdrPass: true });
    expect(verdict(t(300_000), 0.1, 0.97)).toMatchObject({ ndrPass: false, pdrPass: false });
    const d = modelTrial({ ndr: 100_000, pdr: 200_000, dups: 1 });
    expect(verdict(d(10_000), 0.1, 0.97)).toMatchObject({ incorrect: true, ndrPass: false, pdrPass: false });
    const s = modelTrial({ ndr: 1e9, pdr: 2e9, senderMax: 90_000 });
    expect(verdict(s(100_000), 0.1, 0.97)).toMatchObject({ senderBound: true, pdrPass: true, effectivePps: 90_000 });
  });
});

describe('searchRates', () => {
  it('brackets NDR and PDR of each relay within the resolution', async () => {
    const [a, b] = await run({ fast: { ndr: 300_000, pdr: 320_000 }, slow: { ndr: 40_000, pdr: 60_000 } });
    for (const [r, m] of [[a!, { ndr: 300_000, pdr: 320_000 }], [b!, { ndr: 40_000, pdr: 60_000 }]] as const) {
      expect(r.stop).toBe('resolved');
      expect(r.pdr!.pps).toBeLessThanOrEqual(m.pdr);
      expect(r.pdr!.pps).toBeGreaterThan(m.pdr / 1.1);
      expect(r.ndr!.pps).toBeLessThanOrEqual(m.ndr);
      expect(r.pdr!.lossPct).toBeLessThanOrEqual(0.1);
      expect(r.duplicatesTotal).toBe(0);
    }
  });

  it('interleaves relays rung by rung and rotates the order', async () => {
    const events: ProgressEvent[] = [];
    await run({ a: { ndr: 100_000, pdr: 110_000 }, b: { ndr: 100_000, pdr: 110_000 } }, { ...cfg, rungs: 3 }, events);
    const done = events.filter((e) => e.phase === 'done').map((e) => `${e.rung}${e.relay}`);
    expect(done).toEqual(['1a', '1b', '2b', '2a', '3a', '3b']);
  });

  it('stops at the ceiling and reports a lower bound', async () => {
    const [r] = await run({ k: { ndr: 1e7, pdr: 2e7 } });
    expect(r!.stop).toBe('ceiling');
    expect(r!.pdr).toMatchObject({ pps: 600_000, atCeiling: true });
    expect(describeFigure(r!.pdr)).toBe('>= 600.0 kpps (ceiling)');
  });

  it('reports a sender-bound pass as ">= X (sender-bound)", never as the relay limit', async () => {
    const [r] = await run({ k: { ndr: 1e7, pdr: 2e7, senderMax: 250_000 } });
    expect(r!.stop).toBe('sender-bound');
    expect(r!.pdr!.senderBound).toBe(true);
    expect(r!.pdr!.pps).toBe(250_000);
    expect(describeFigure(r!.pdr)).toBe('>= 250.0 kpps (sender-bound)');
  });

  it('keeps climbing after a sender shortfall while asking for more still gets more', async () => {
    const base = modelTrial({ ndr: 300_000, pdr: 320_000 });
    const [r] = await searchRates(['a'], async (_relay, rate) => {
      const t = base(rate);
      return rate === 55_000 ? { ...t, achievedPps: 45_000, senderBound: true } : t;
    }, cfg);
    expect(r!.trials[0]!.verdict.senderBound).toBe(true);
    expect(r!.stop).toBe('resolved');
    expect(r!.pdr!.pps).toBeGreaterThan(290_000);
  });

  it('a relay that duplicates never passes, at any rate', async () => {
    const [r] = await run({ d: { ndr: 1e6, pdr: 2e6, dups: 3 } });
    expect(r!.pdr).toBeNull();
    expect(r!.ndr).toBeNull();
    expect(r!.stop).toBe('floor');
    expect(r!.duplicatesTotal).toBe(3 * r!.trials.length);
    expect(describeFigure(r!.pdr, 5_000)).toBe('< 5.0 kpps');
  });

  it('respects the rung budget', async () => {
    const [r] = await run({ a: { ndr: 123_456, pdr: 130_000 } }, { ...cfg, rungs: 4 });
    expect(r!.trials).toHaveLength(4);
    expect(r!.stop).toBe('rungs');
  });

  it('records a trial error and keeps searching the other relays', async () => {
    const ok = modelTrial({ ndr: 100_000, pdr: 110_000 });
    const out = await searchRates(['bad', 'ok'], async (relay, rate) => {
      if (relay === 'bad') throw new Error('bed broke');
      return ok(rate);
    }, { ...cfg, rungs: 3 });
    expect(out[0]).toMatchObject({ stop: 'error', error: 'bed broke' });
    expect(out[1]!.trials).toHaveLength(3);
  });
});

describe('confirmRates', () => {
  it('repeats trials at each NDR and PDR rate until each has 3, then reports medians with min-max', async () => {
    let k = 0;
    const base = modelTrial({ ndr: 100_000, pdr: 150_000 });
    // CPU per packet varies trial to trial: the figure must be the median, with min and max beside it.
    const fn = async (_r: string, rate: number) => ({ ...base(rate), relayCpuPerPacketUs: [3, 5, 4, 6, 2][k++ % 5]! });
    const [s] = await searchRates(['mcr'], fn, cfg);
    const { confirmRates } = await import('../../src/search/search.js');
    await confirmRates([s!], fn, cfg, 3);
    for (const f of [s!.ndr!, s!.pdr!]) {
      expect(f.atRate!.trials).toBeGreaterThanOrEqual(3);
      expect(s!.trials.filter((t) => t.targetPps === f.targetPps)).toHaveLength(f.atRate!.trials);
      const r = f.atRate!.relayCpuPerPacketUs!;
      expect(r.min).toBeLessThanOrEqual(r.median);
      expect(r.max).toBeGreaterThanOrEqual(r.median);
    }
    expect(s!.relayCpuPerPacketUs).toBe(s!.pdr!.atRate!.relayCpuPerPacketUs!.median);
    expect(s!.machineCpuPerPacketUs).toBe(7.5);
    expect(s!.rungs!.filter((r) => r.rung === 0).every((r) => r.trials >= 1)).toBe(true);
    expect(s!.trials.some((t) => t.rung === 0)).toBe(true);
  });
});
