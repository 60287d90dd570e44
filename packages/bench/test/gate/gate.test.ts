import { describe, expect, it } from 'vitest';
import { compareWithBaseline, renderGate } from '../../src/gate/compare.js';
import type { BenchResult, GateSettings } from '../../src/results/schema.js';
import { searchRates } from '../../src/search/search.js';
import { modelTrial, type Model } from '../helpers.js';
import { CFG, NORMAL, point, result } from '../fixtures.js';

const SETTINGS: GateSettings = { gatedRatePps: 100_000, maxLossPct: 0.1, tolerancePct: 25 };

async function run(models: typeof NORMAL, confirmModel: Model = models.mcr!): Promise<BenchResult> {
  const r = result([await point(models)], 'gate');
  const [confirm] = await searchRates(['mcr' as const], async (_r, rate) => modelTrial(confirmModel)(rate), { ...CFG, rungs: 1, startPps: SETTINGS.gatedRatePps });
  r.gate = { settings: SETTINGS, confirm: confirm! };
  return r;
}

describe('gate', () => {
  it('passes a run like the baseline', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run(NORMAL), baseline, 'results/baseline.json', SETTINGS);
    expect(o.pass).toBe(true);
    expect(o.checks.map((c) => c.metric)).toEqual(['mcr duplicates', 'mcr loss @ 100000 pps', 'mcr/socat PDR ratio', 'mcr/kernel PDR ratio']);
    expect(renderGate(o)).toMatch(/^gate: PASS/);
  });

  it('tolerates noise within the tolerance', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run({ ...NORMAL, mcr: { ndr: 170_000, pdr: 200_000 } }), baseline, 'b', SETTINGS);
    expect(o.pass).toBe(true);
  });

  it('fails a speed regression beyond the tolerance and names the metric and the amount', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run({ ...NORMAL, mcr: { ndr: 100_000, pdr: 120_000 } }), baseline, 'results/baseline.json', SETTINGS);
    expect(o.pass).toBe(false);
    const failed = o.checks.filter((c) => !c.pass);
    expect(failed.map((c) => c.metric)).toEqual(['mcr/socat PDR ratio', 'mcr/kernel PDR ratio']);
    expect(failed[0]!.change).toBeLessThan(-40);
    const text = renderGate(o);
    expect(text).toMatch(/^gate: FAIL/);
    expect(text).toMatch(/mcr\/socat PDR ratio regressed: \d\.\d\dx -> \d\.\d\dx \(-\d+\.\d %, tolerance -25 %\)/);
    expect(text).toContain('what moved:');
  });

  it('a speed drop of the other relays is not a regression of mcr', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run({ ...NORMAL, socat: { ndr: 20_000, pdr: 30_000 } }), baseline, 'b', SETTINGS);
    expect(o.pass).toBe(true);
  });

  it('a sender-bound mcr below the floor is not called a regression', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run({ ...NORMAL, mcr: { ndr: 1e7, pdr: 2e7, senderMax: 120_000 } }), baseline, 'b', SETTINGS);
    expect(o.checks.find((c) => c.metric === 'mcr/socat PDR ratio')!.pass).toBe(true);
    expect(o.checks.find((c) => c.metric === 'mcr/kernel PDR ratio')!.message).toMatch(/lower bound/);
  });

  it('judges speed on the best repeat: a slow repeat alone is not a regression', async () => {
    const baseline = await run(NORMAL);
    const current = await run({ ...NORMAL, mcr: { ndr: 100_000, pdr: 120_000 } });
    current.points.push((await run(NORMAL)).points[0]!);
    expect(compareWithBaseline(current, baseline, 'b', SETTINGS).pass).toBe(true);
  });

  it('fails on a single duplicate, however fast', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run({ ...NORMAL, mcr: { ndr: 500_000, pdr: 550_000, dups: 1 } }), baseline, 'b', SETTINGS);
    expect(o.pass).toBe(false);
    const dup = o.checks.find((c) => c.metric === 'mcr duplicates')!;
    expect(dup.pass).toBe(false);
    expect(dup.message).toMatch(/\d+ duplicate\/corrupt\/foreign packet\(s\) delivered by mcr: must be 0/);
  });

  it('fails when loss at the gated rate exceeds the threshold', async () => {
    const baseline = await run(NORMAL);
    const o = compareWithBaseline(await run(NORMAL, { ndr: 50_000, pdr: 60_000 }), baseline, 'b', SETTINGS);
    const loss = o.checks.find((c) => c.metric === 'mcr loss @ 100000 pps')!;
    expect(loss.pass).toBe(false);
    expect(loss.message).toMatch(/^loss \d+\.\d{3} % exceeds 0.1 % at 100000 pps/);
    expect(o.pass).toBe(false);
  });
});
