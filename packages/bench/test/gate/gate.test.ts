// The gate's decision on crafted pairs: it must pass equal builds, fail a consistent regression,
// shrug off one noisy pair, and say so when a flag widened it.
import { describe, expect, it } from 'vitest';
import { CONSISTENCY, METRICS, metricsFor, speedCheck, TC_METRICS } from '../../src/gate/decision.js';
import { confirmChecks, decide, deliveredPps, injectedNanos, needsConfirmation } from '../../src/targets/gate.js';
import type { GateTrial } from '../../src/results/schema.js';
import { modelTrial } from '../helpers.js';

/** Pairs whose candidate costs `cpu` x and delivers `thr` x the baseline; `jitter(i)` multiplies pair i's candidate CPU. */
function trials(pairs: number, cpu: number, thr = 1, jitter: (i: number) => number = () => 1): GateTrial[] {
  const base = modelTrial({ ndr: 300_000, pdr: 320_000 });
  const out: GateTrial[] = [];
  for (let i = 0; i < pairs; i++) {
    for (const side of ['candidate', 'baseline'] as const) {
      const k = side === 'candidate' ? cpu * jitter(i) : 1;
      const fixed = { ...base(50_000), relayCpuPerPacketUs: 4 * k };
      out.push({ side, phase: 'fixed', pair: i, targetPps: 50_000, figures: fixed, deliveredPps: deliveredPps(fixed) });
      const high = base(600_000);
      const d = deliveredPps(high) * (side === 'candidate' ? thr : 1);
      out.push({ side, phase: 'high', pair: i, targetPps: 600_000, figures: high, deliveredPps: d });
    }
  }
  return out;
}

const opts = { maxLossPct: 0.1, pairs: 8, widenPct: 0 };
const cpuCheck = (checks: ReturnType<typeof decide>) => checks.find((c) => c.metric.startsWith('relay CPU'))!;

describe('gate decision', () => {
  it('judges the tc engine on machine CPU per packet, which a 25 % costlier program raises', () => {
    // The program's cost shows in the whole machine's CPU, not in the relay's (near idle) processes.
    const tc = trials(8, 1).map((t) => (t.side === 'candidate' && t.phase === 'fixed' ? { ...t, figures: { ...t.figures, machineCpuPerPacketUs: t.figures.machineCpuPerPacketUs * 1.25 } } : t));
    expect(metricsFor('mcr-tc')).toBe(TC_METRICS);
    expect(metricsFor('mcr')).toBe(METRICS);
    const judged = decide(tc, { ...opts, metrics: TC_METRICS });
    expect(judged.find((c) => c.metric.startsWith('machine CPU'))!.pass).toBe(false);
    expect(judged.some((c) => c.metric.startsWith('relay CPU'))).toBe(false);
    expect(decide(tc, opts).every((c) => c.pass)).toBe(true);
  });

  it('passes a candidate equal to the baseline', () => {
    const checks = decide(trials(8, 1), opts);
    expect(checks.every((c) => c.pass)).toBe(true);
    expect(checks.map((c) => c.kind)).toEqual(['correctness', 'correctness', 'speed', 'speed', 'speed', 'speed']);
  });

  it('fails a candidate 25 % more expensive per packet, in every pair', () => {
    const c = cpuCheck(decide(trials(8, 1.25), opts));
    expect(c.pass).toBe(false);
    expect(c.message).toMatch(/^REGRESSED: median ratio 1\.250/);
  });

  it('fails lost throughput', () => {
    const c = decide(trials(8, 1, 0.7), opts).find((x) => x.metric.startsWith('throughput'))!;
    expect(c.pass).toBe(false);
  });

  it('does not fail on a median beyond the limit when the pairs disagree (noise)', () => {
    // 5 of 8 pairs worse (< 75 %), median beyond +10 %.
    const c = cpuCheck(decide(trials(8, 1, 1, (i) => [1.3, 1.3, 1.3, 1.3, 1.3, 0.9, 0.9, 0.9][i]!), opts));
    expect(c.pass).toBe(true);
    expect(c.message).toMatch(/inconsistent/);
    expect(CONSISTENCY).toBe(0.75);
  });

  it('widening is explicit: the limit moves by the given points', () => {
    const m = METRICS.find((x) => x.key === 'relayCpuPerPacketUs')!;
    expect(speedCheck(m, [1.2, 1.2, 1.2, 1.2], 0, 2).pass).toBe(false);
    expect(speedCheck(m, [1.2, 1.2, 1.2, 1.2], 15, 2)).toMatchObject({ pass: true, limit: 1.25 });
  });

  it('cannot decide without enough pairs: a failure, not a pass', () => {
    const t = trials(8, 1).map((x) => ({ ...x, figures: { ...x.figures, relayCpuPerPacketUs: null } }));
    expect(cpuCheck(decide(t, opts)).pass).toBe(false);
  });

  it('fails duplicates whatever the speed', () => {
    const t = trials(8, 1).map((x) => (x.side === 'candidate' && x.pair === 3 ? { ...x, figures: { ...x.figures, duplicates: 2 } } : x));
    expect(decide(t, opts)[0]!.pass).toBe(false);
  });

  it('sizes the injected work from the baseline CPU per packet, within the relay limit', () => {
    expect(injectedNanos(25, 4.4)).toBe(1100);
    expect(() => injectedNanos(25, 1000)).toThrow(/outside the relay's 1\.\.100000/);
  });
});

describe('gate confirmation round: a speed regression must reproduce', () => {
  const round2 = (t: GateTrial[]) => t.map((x) => ({ ...x, round: 2 as const }));
  const judged = (first: GateTrial[], second: GateTrial[]) => confirmChecks(decide(first, opts), decide(second, opts), decide([...first, ...second], opts));

  it('only a speed failure with correctness intact asks for a second round', () => {
    expect(needsConfirmation(decide(trials(8, 1), opts))).toBe(false);
    expect(needsConfirmation(decide(trials(8, 1.25), opts))).toBe(true);
    const dup = trials(8, 1.25);
    dup[0]!.figures = { ...dup[0]!.figures, duplicates: 3 };
    expect(needsConfirmation(decide(dup, opts))).toBe(false);
  });

  it('a regression that reproduces fails; one that does not passes and says so', () => {
    const slow = trials(8, 1.25);
    expect(cpuCheck(judged(slow, round2(trials(8, 1.25)))).pass).toBe(false);
    expect(cpuCheck(judged(slow, round2(trials(8, 1.25)))).message).toMatch(/first round: .*\(reproduced\)$/);
    const noisy = judged(trials(8, 1, 0.85), round2(trials(8, 1)));
    const thr = noisy.find((c) => c.metric.startsWith('throughput'))!;
    expect(thr.pass).toBe(true);
    expect(thr.message).toMatch(/\(did not reproduce\)$/);
  });

  it('correctness is judged over both rounds', () => {
    const second = round2(trials(8, 1));
    second[0]!.figures = { ...second[0]!.figures, corrupt: 1 }; // a candidate trial of the second round
    expect(judged(trials(8, 1.25), second)[0]!.pass).toBe(false);
  });
});

describe('gate flags that change what passes', () => {
  it('are announced', async () => {
    const { nonDefaults } = await import('../../src/targets/gate.js');
    const { normalizeSettings } = await import('../../src/settings.js');
    expect(nonDefaults(normalizeSettings('gate', {}, '/tmp'))).toEqual([]);
    expect(nonDefaults(normalizeSettings('gate', { 'max-loss': '50', pairs: '2' }, '/tmp'))).toEqual(['--max-loss 50 (default 0.1)', '--pairs 2 (default 8)']);
  });
});
