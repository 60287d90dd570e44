// bench:latency's pure parts: cells as medians with min-max over the repeats, ratios of the medians,
// the latency targets met / not met / not measured with their caveats, the half-NDR rate, the TCP-noise
// summary, the interleaving order, and the NDR read from a results file.
import { describe, expect, it } from 'vitest';
import {
  LATENCY_TARGETS,
  cellStats,
  halfNdrRate,
  latencyRatios,
  summariseLatency,
  targetVerdicts,
  tcpNoiseSummary,
} from '../../src/latency/figures.js';
import type { BenchResult } from '../../src/results/schema.js';
import { cell, trial } from './fixtures.js';
import { estimateSeconds, ndrFromResult, rungOrder, subjectBedOptions } from '../../src/targets/latency.js';
import { normalizeSettings } from '../../src/settings.js';


describe('latency cells', () => {
  it('are medians with min and max over the repeats, p99.9 included', () => {
    const s = cellStats([trial({ p50: 30, p99: 90, p999: 300 }), trial({ p50: 10, p99: 70, p999: 100 }), trial({ p50: 20, p99: 80, p999: 200 })])!;
    expect(s.trials).toBe(3);
    expect(s.p50Us).toEqual({ median: 20, min: 10, max: 30, n: 3 });
    expect(s.p99Us).toEqual({ median: 80, min: 70, max: 90, n: 3 });
    expect(s.p999Us).toEqual({ median: 200, min: 100, max: 300, n: 3 });
    expect(s.relayCpuPerPacketUs?.median).toBe(5);
    expect(s.senderBoundTrials).toBe(0);
    expect(cellStats([])).toBeNull();
  });

  it('count sender-bound and incorrect trials, and take no latency from a trial that delivered nothing', () => {
    const s = cellStats([trial({ achieved: 15_000, p50: 5 }), trial({ dups: 2, p50: 7 }), trial({ unique: 0, p50: 0 })])!;
    expect(s.senderBoundTrials).toBe(1);
    expect(s.incorrectTrials).toBe(1);
    expect(s.p50Us).toEqual({ median: 6, min: 5, max: 7, n: 2 });
  });

  it('have no relay CPU for the kernel (softirq), and files from before p99.9 have none either', () => {
    expect(cellStats([trial({ relayCpu: null })])!.relayCpuPerPacketUs).toBeNull();
    const old = trial();
    delete (old.latencyUs as { p999?: number }).p999;
    expect(cellStats([old])!.p999Us).toBeNull();
  });
});

describe('ratios and targets', () => {
  const cells = [
    cell('20k', 'mcr', [trial({ p50: 50, p99: 200 }), trial({ p50: 70, p99: 400 })]),
    cell('20k', 'kernel', [trial({ p50: 20, p99: 50, relayCpu: null }), trial({ p50: 20, p99: 50, relayCpu: null })]),
    cell('50k', 'mcr', [trial({ rate: 50_000, p50: 100, p99: 300, relayCpu: 4 })]),
    cell('50k', 'kernel', [trial({ rate: 50_000, p50: 20, p99: 50, relayCpu: null })]),
    cell('50k', 'socat', [trial({ rate: 50_000, relayCpu: 16, lossPct: 30 })]),
  ];

  it('are ratios of the medians, only where both cells exist', () => {
    const r = latencyRatios(cells);
    expect(r.find((x) => x.rung === '20k' && x.name === 'mcr/kernel' && x.metric === 'p50Us')?.value).toBe(3);
    expect(r.find((x) => x.rung === '20k' && x.name === 'mcr/kernel' && x.metric === 'p99Us')?.value).toBe(6);
    expect(r.find((x) => x.rung === '50k' && x.name === 'mcr/socat' && x.metric === 'relayCpuPerPacketUs')?.value).toBe(0.25);
    expect(r.some((x) => x.rung === '20k' && x.name === 'mcr/socat')).toBe(false);
    // The kernel has no relay CPU: a ratio against it would be meaningless, so none is formed.
    expect(r.some((x) => x.name === 'mcr/kernel' && x.metric === 'relayCpuPerPacketUs')).toBe(false);
  });

  it('are met at the limit, not met above it, and not measured without a side; caveats name loss and a short sender', () => {
    const v = targetVerdicts(cells, 0.1);
    expect(v.map((t) => t.text)).toEqual(LATENCY_TARGETS.map((t) => t.text));
    const by = (text: string) => v.find((t) => t.text === text)!;
    expect(by('p50 <= 3x kernel at 20 kpps')).toMatchObject({ value: 3, met: true, caveats: [] });
    expect(by('p99 <= 5x kernel at 20 kpps')).toMatchObject({ value: 6, met: false });
    expect(by('p50 <= 3x kernel at 50 kpps')).toMatchObject({ value: 5, met: false });
    const cpu = by('relay CPU per packet <= 0.35x socat at 50 kpps');
    expect(cpu).toMatchObject({ value: 0.25, met: true });
    expect(cpu.caveats).toEqual(['socat lost 30.00 % (median)']);
    const none = targetVerdicts(cells.filter((c) => c.subject !== 'kernel'), 0.1);
    expect(none[0]).toMatchObject({ value: null, met: null });
    const short = targetVerdicts([cell('20k', 'mcr', [trial({ achieved: 12_000 })]), cell('20k', 'kernel', [trial({ relayCpu: null })])], 0.1);
    expect(short[0]!.caveats).toEqual(['mcr: sender-bound in 1/1 trials']);
  });

  it('summarise the bulk comparison: default against the fixed window, and whether the sender reached the rate', () => {
    const l = summariseLatency(
      {
        streams: 1, size: 1000, repeats: 1, trialSeconds: 3, topology: 'chain', ndrSource: { kind: 'search' }, ndr: [],
        cells: [cell('bulk', 'mcr', [trial({ rate: 150_000, relayCpu: 3 })]), cell('bulk', 'mcr-fixed', [trial({ rate: 150_000, achieved: 120_000, relayCpu: 2 })])],
        tcpNoise: { skipped: 'test' },
      },
      0.1,
    );
    expect(l.bulk).toEqual({ ratePps: 150_000, fixedWindowMicros: 300, relayCpuRatio: 1.5, senderBound: true });
    const none = summariseLatency({ streams: 1, size: 1000, repeats: 1, trialSeconds: 3, topology: 'chain', ndrSource: { kind: 'search' }, ndr: [], cells: [], tcpNoise: { skipped: 'x' } }, 0.1);
    expect(none.bulk).toBeNull();
    expect(none.targets.every((t) => t.met === null)).toBe(true);
  });
});

describe('rates and order', () => {
  it('half the NDR, rounded to 100 pps; none without an NDR', () => {
    expect(halfNdrRate({ relay: 'mcr', pps: 125_049, lowerBound: false })).toBe(62_500);
    expect(halfNdrRate({ relay: 'socat', pps: 8_800, lowerBound: false })).toBe(4_400);
    expect(halfNdrRate({ relay: 'socat', pps: null, lowerBound: false })).toBeNull();
    expect(halfNdrRate(undefined)).toBeNull();
  });

  it('rotates the relays from round to round; the bulk rung is mcr against its fixed window', () => {
    expect(rungOrder('20k', ['mcr', 'socat', 'kernel'], 0)).toEqual(['mcr', 'socat', 'kernel']);
    expect(rungOrder('20k', ['mcr', 'socat', 'kernel'], 1)).toEqual(['socat', 'kernel', 'mcr']);
    expect(rungOrder('bulk', ['mcr', 'socat', 'kernel'], 1)).toEqual(['mcr-fixed', 'mcr']);
    expect(rungOrder('bulk', ['socat'], 0)).toEqual([]);
  });

  it('runs mcr as users run it, and the fixed window only through its dataPlane', () => {
    const s = normalizeSettings('latency', {}, '/tmp');
    expect(subjectBedOptions('mcr', s)).toEqual({ relay: 'mcr', streams: 1, topology: 'chain', workers: 1 });
    expect(subjectBedOptions('mcr-fixed', s)).toEqual({ relay: 'mcr', streams: 1, topology: 'chain', workers: 1, mcrDataPlane: { coalesceMicros: 300 } });
    expect(subjectBedOptions('kernel', s)).toEqual({ relay: 'kernel', streams: 1, topology: 'chain' });
  });

  it('has defaults that finish in well under 15 minutes', () => {
    const s = normalizeSettings('latency', {}, '/tmp');
    expect(s).toMatchObject({ streams: 1, size: 1000, repeats: 5, trialSeconds: 3, rungs: 6, tcpNoise: true, latencyRungs: ['20k', '50k', 'half-ndr', 'bulk'], ndrFrom: null });
    expect(estimateSeconds(s)).toBeLessThan(12 * 60);
    expect(estimateSeconds(normalizeSettings('latency', { repeats: '1', 'trial-seconds': '1', rates: '20k', 'no-tcp-noise': true }, '/tmp'))).toBeLessThan(30);
  });
});

describe('NDR from a multi-stream results file', () => {
  const file = (streams: number[]): BenchResult =>
    ({
      points: streams.map((n) => ({
        label: `streams=${n}`,
        params: { streams: n },
        relays: [
          { relay: 'mcr', ndr: { pps: 1000 * n, senderBound: false, atCeiling: false } },
          { relay: 'kernel', ndr: { pps: 2000 * n, senderBound: true, atCeiling: false } },
          { relay: 'socat', ndr: null },
        ],
        ratios: [],
      })),
    }) as unknown as BenchResult;

  it('takes the point with the same stream count, lower bounds marked, and says when it has to use another', () => {
    const notes: string[] = [];
    expect(ndrFromResult(file([10, 1]), ['mcr', 'socat', 'kernel'], 1, notes, 'f.json')).toEqual([
      { relay: 'mcr', pps: 1000, lowerBound: false },
      { relay: 'socat', pps: null, lowerBound: false },
      { relay: 'kernel', pps: 2000, lowerBound: true },
    ]);
    expect(notes).toEqual([]);
    expect(ndrFromResult(file([10]), ['mcr'], 1, notes, 'f.json')).toEqual([{ relay: 'mcr', pps: 10_000, lowerBound: false }]);
    expect(notes[0]).toMatch(/no point with 1 stream/);
    expect(() => ndrFromResult(file([]), ['mcr'], 1, notes, 'f.json')).toThrow(/no search point/);
  });
});

describe('TCP noise', () => {
  const t = (flow: boolean, relayCpu: number, bits: number | null) => ({
    flow,
    record: trial({ relayCpu }),
    tcpBitsPerSecond: bits,
    framesSeen: 20_050,
    forwarded: 20_050,
    inputFrames: flow ? 90_000 : 20_050,
  });

  it('is the rise of the median relay CPU per packet with the flow, and whether every flow reached 1 Gbit/s', () => {
    const n = tcpNoiseSummary([t(false, 4, null), t(true, 4.4, 1.8e9), t(false, 4, null), t(true, 4.2, 1.6e9)]);
    expect(n.relayCpuRise).toBeCloseTo(0.075, 6);
    expect(n.flowReachedMinimum).toBe(true);
    expect(n.tcpBitsPerSecond).toEqual({ median: 1.7e9, min: 1.6e9, max: 1.8e9, n: 2 });
    expect(n.inputFrames.noisy?.median).toBe(90_000);
    expect(n.framesSeen.noisy?.median).toBe(20_050);
    expect(tcpNoiseSummary([t(false, 4, null), t(true, 4, 0.8e9)]).flowReachedMinimum).toBe(false);
    expect(tcpNoiseSummary([t(false, 4, null)])).toMatchObject({ flowReachedMinimum: false, relayCpuRise: null });
  });
});
