// The regression gate's decision. Pure.
//
// The candidate (working tree) and the baseline (the commit named in results/baseline.json) run in
// one process, on the same machine, in interleaved pairs of trials (ABBA order, so drift of the shared
// machine hits both alike). Each pair gives one ratio candidate/baseline per metric; a metric regresses
// when BOTH hold:
//   - the median of its paired ratios is beyond the metric's threshold, and
//   - consistency: at least CONSISTENCY of the pairs point the same way (ratio worse than 1),
// so one slow scheduling slot can neither fail a good tree nor excuse a bad one.
// Correctness is absolute: no duplicate, corrupt or foreign packet from the candidate in any trial,
// and the candidate's median loss at the fixed rate within maxLossPct.

import { median } from '../search/spread.js';

export type Direction = 'cost' | 'benefit';

export interface MetricSpec {
  /** Key in a pair's figures. */
  key: 'relayCpuPerPacketUs' | 'machineCpuPerPacketUs' | 'p50Us' | 'p99Us' | 'deliveredPps';
  label: string;
  /** cost: higher is worse (CPU, latency); benefit: lower is worse (throughput). */
  direction: Direction;
  /** Allowed relative change of the median paired ratio, percent (before any --tolerance widening). */
  thresholdPct: number;
  /** Which fixed rate the metric is measured at. */
  rate: 'fixed' | 'high';
  /** Why the threshold is where it is: the metric's measured noise. */
  why: string;
}

/**
 * Thresholds, from the noise each metric showed on the reference machine (field notes, 2026-11-29;
 * to be confirmed by `tools/gate-proof.sh` on a quiet machine). They never move to let a run pass;
 * `--tolerance` widens them only with a banner in the output and a record in the results file.
 */
export const METRICS: readonly MetricSpec[] = [
  {
    key: 'relayCpuPerPacketUs', label: 'relay CPU per packet', direction: 'cost', thresholdPct: 10, rate: 'fixed',
    why: 'mcr 4.1-4.9 us/packet at 50 kpps across separate runs (+-9 %); paired in one run and taken as a median of pairs the noise is smaller, and the negative control injects +25 %',
  },
  {
    key: 'p50Us', label: 'p50 latency', direction: 'cost', thresholdPct: 30, rate: 'fixed',
    why: 'with coalescing the p50 is the flush timer on a coarse VM clock: 268-390 us between runs at 20-50 kpps',
  },
  {
    key: 'p99Us', label: 'p99 latency', direction: 'cost', thresholdPct: 50, rate: 'fixed',
    why: 'p99 moved 502-737 us for mcr and 110 us-4 ms for the kernel between runs at the same rate',
  },
  {
    key: 'deliveredPps', label: 'throughput (delivered at the high rate)', direction: 'benefit', thresholdPct: 10, rate: 'high',
    why: "the overload delivery rate is the relay's capacity; searched NDRs moved 286-392 kpps between runs, paired ratios far less",
  },
];

/**
 * The tc engine's metrics (`--relays mcr-tc`): its program works in softirq, which no process
 * accounts for (its relay processes are near idle), so CPU is the whole machine's per delivered packet;
 * latency and throughput as for the packet engine.
 */
export const TC_METRICS: readonly MetricSpec[] = [
  {
    key: 'machineCpuPerPacketUs', label: 'machine CPU per packet', direction: 'cost', thresholdPct: 10, rate: 'fixed',
    why: 'mcr-tc 22.1-23.1 us/packet and the kernel mirror 22.9-24.2 us/packet at 50 kpps within one run (2026-12-07); sender and receiver are most of it, so the same +10 % as relay CPU, and the negative control injects +25 %',
  },
  ...METRICS.filter((m) => m.key !== 'relayCpuPerPacketUs'),
];

/** The metrics the gate judges for the relay under test: `mcr` (the packet engine) or `mcr-tc`. */
export const metricsFor = (relay: string): readonly MetricSpec[] => (relay === 'mcr-tc' ? TC_METRICS : METRICS);

/** Fraction of pairs that must point the worse way for a regression. */
export const CONSISTENCY = 0.75;

export interface PairFigures {
  relayCpuPerPacketUs: number | null;
  machineCpuPerPacketUs: number | null;
  p50Us: number | null;
  p99Us: number | null;
  deliveredPps: number | null;
}

export interface MetricCheck {
  metric: string;
  kind: 'speed' | 'correctness';
  pass: boolean;
  /** Median paired ratio candidate/baseline (speed), or the value (correctness). */
  value: number | null;
  /** Limit the value was held against (speed: a ratio; correctness: a count or percent). */
  limit: number | null;
  ratios?: number[];
  /** Speed: min and max of the paired ratios, and the fraction pointing the worse way. */
  spread?: { min: number; max: number; worseFraction: number };
  message: string;
}

/** The ratio limit of a metric: 1 +- (threshold + widening) percent. */
export function ratioLimit(m: MetricSpec, widenPct: number): number {
  const t = (m.thresholdPct + widenPct) / 100;
  return m.direction === 'cost' ? 1 + t : Math.max(0, 1 - t);
}

/** Paired ratios candidate/baseline of one metric; pairs where either side has no value are left out. */
export function pairedRatios(pairs: readonly { candidate: PairFigures; baseline: PairFigures }[], key: MetricSpec['key']): number[] {
  return pairs
    .map((p) => [p.candidate[key], p.baseline[key]] as const)
    .filter((x): x is readonly [number, number] => x[0] !== null && x[1] !== null && x[1] > 0)
    .map(([c, b]) => c / b);
}

export function speedCheck(m: MetricSpec, ratios: readonly number[], widenPct: number, minPairs: number): MetricCheck {
  const limit = ratioLimit(m, widenPct);
  const med = median(ratios);
  const metric = `${m.label} (candidate/baseline)`;
  if (med === null || ratios.length < minPairs) {
    return { metric, kind: 'speed', pass: false, value: med, limit, ratios: [...ratios], message: `${ratios.length} usable pair(s), at least ${minPairs} needed: cannot decide` };
  }
  const worse = ratios.filter((r) => (m.direction === 'cost' ? r > 1 : r < 1)).length / ratios.length;
  const beyond = m.direction === 'cost' ? med > limit : med < limit;
  const regressed = beyond && worse >= CONSISTENCY;
  const sign = m.direction === 'cost' ? '<=' : '>=';
  const detail =
    `median ratio ${med.toFixed(3)} (pairs ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}, n=${ratios.length}), ` +
    `limit ${sign} ${limit.toFixed(2)}; ${(worse * 100).toFixed(0)} % of pairs worse (a regression needs >= ${CONSISTENCY * 100} %)`;
  return {
    metric,
    kind: 'speed',
    pass: !regressed,
    value: med,
    limit,
    ratios: [...ratios],
    spread: { min: Math.min(...ratios), max: Math.max(...ratios), worseFraction: worse },
    message: `${regressed ? 'REGRESSED' : beyond ? 'beyond the limit but inconsistent across pairs (noise)' : 'within the limit'}: ${detail}`,
  };
}

export interface GateVerdict {
  pass: boolean;
  checks: MetricCheck[];
}

export function renderVerdict(v: GateVerdict, header: string): string {
  const lines = [`gate: ${v.pass ? 'PASS' : 'FAIL'} ${header}`];
  for (const c of v.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} [${c.kind}] ${c.metric}: ${c.message}`);
  return lines.join('\n') + '\n';
}
