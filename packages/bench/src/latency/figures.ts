// bench:latency's figures from its trials: every (relay, rate) cell as medians with min-max over the
// repeats, the ratios between relays at each rate, and the latency targets met or not. Pure.
import { RELAY_TITLES } from '@mcr/mcr-lab';
import { isKernelRelay } from '@mcr/netns-lab';
import type { RelayName } from '../lab.js';
import type { TrialRecord } from '../search/search.js';
import { spread, type Spread } from '../search/spread.js';
import type { LatencyRung } from '../settings.js';

/** The fixed rates every relay is measured at (aggregate pps, one stream). */
export const FIXED_RATES_PPS = [20_000, 50_000] as const;
/** The third rung: this fraction of each relay's own NDR. */
export const NDR_FRACTION = 0.5;
/** The bulk comparison: mcr's default against a fixed coalescing window at this rate. */
export const BULK_RATE_PPS = 150_000;
/** The fixed window compared with the default at the bulk rate: a classic batching relay's setting. */
export const FIXED_WINDOW_MICROS = 300;
/** TCP noise: the multicast rate, and the least TCP throughput a run must carry to count. */
export const TCP_NOISE_RATE_PPS = 20_000;
export const TCP_NOISE_MIN_BITS_PER_SECOND = 1e9;

/**
 * What is measured: the relays, and mcr with the fixed window (bulk rung only). As a ratio's or a
 * target's side, `kernel` stands for whichever in-kernel reference the run measured (kernel-mfc or
 * kernel-tc; results written before the family had two members name smcroute `kernel`).
 */
export type LatencySubject = RelayName | 'mcr-fixed';
export const SUBJECT_LABELS: Record<LatencySubject, string> = {
  ...RELAY_TITLES,
  'mcr-fixed': `mcr, coalesceMicros ${FIXED_WINDOW_MICROS}`,
};

/** Whether a measured subject is the one a ratio names (`kernel`: any in-kernel reference). */
const isSubject = (measured: LatencySubject, named: LatencySubject): boolean => measured === named || (named === 'kernel' && isKernelRelay(measured));

/** A rung of the ladder (as --rates names it): a rate every subject of it runs at (half-ndr: each relay at its own). */
export type RungId = LatencyRung;
export const RUNG_LABELS: Record<RungId, string> = {
  '20k': '20 kpps',
  '50k': '50 kpps',
  'half-ndr': `${NDR_FRACTION * 100} % of NDR`,
  bulk: `${BULK_RATE_PPS / 1000} kpps`,
};

export type LatencyMetric = 'p50Us' | 'p99Us' | 'p999Us' | 'relayCpuPerPacketUs' | 'machineCpuPerPacketUs';

export interface CellStats {
  trials: number;
  achievedPps: Spread;
  /** Trials whose sender fell short of the rate (achieved < 0.97 x offered): the rate was not reached. */
  senderBoundTrials: number;
  /** Trials with a duplicate, corrupt or foreign packet. */
  incorrectTrials: number;
  lossPct: Spread;
  p50Us: Spread | null;
  p99Us: Spread | null;
  p999Us: Spread | null;
  relayCpuPerPacketUs: Spread | null;
  machineCpuPerPacketUs: Spread | null;
}

export interface LatencyCell {
  rung: RungId;
  subject: LatencySubject;
  targetPps: number;
  trials: TrialRecord[];
  stats: CellStats | null;
}

export function cellStats(trials: readonly TrialRecord[]): CellStats | null {
  if (trials.length === 0) return null;
  // A trial that delivered nothing has no latency (the lab reports 0 then), and no CPU per packet.
  const delivered = trials.filter((t) => t.unique > 0);
  return {
    trials: trials.length,
    achievedPps: spread(trials.map((t) => t.achievedPps))!,
    senderBoundTrials: trials.filter((t) => t.verdict.senderBound).length,
    incorrectTrials: trials.filter((t) => t.verdict.incorrect).length,
    lossPct: spread(trials.map((t) => t.lossPct))!,
    p50Us: spread(delivered.map((t) => t.latencyUs.p50)),
    p99Us: spread(delivered.map((t) => t.latencyUs.p99)),
    p999Us: spread(delivered.map((t) => t.latencyUs.p999)),
    relayCpuPerPacketUs: spread(delivered.map((t) => t.relayCpuPerPacketUs)),
    machineCpuPerPacketUs: spread(delivered.map((t) => t.machineCpuPerPacketUs)),
  };
}

export interface LatencyRatio {
  rung: RungId;
  /** numerator/denominator, e.g. 'mcr/kernel'. */
  name: string;
  metric: LatencyMetric;
  /** Ratio of the medians; null when either side has no figure. */
  value: number | null;
}

/** The ratios that matter, at every rung: latency against the kernel, CPU against socat. */
const RATIO_SPECS: { num: LatencySubject; den: LatencySubject; metric: LatencyMetric }[] = [
  { num: 'mcr', den: 'kernel', metric: 'p50Us' },
  { num: 'mcr', den: 'kernel', metric: 'p99Us' },
  { num: 'mcr', den: 'kernel', metric: 'p999Us' },
  { num: 'mcr', den: 'socat', metric: 'relayCpuPerPacketUs' },
  { num: 'mcr', den: 'socat', metric: 'machineCpuPerPacketUs' },
  { num: 'mcr', den: 'kernel', metric: 'machineCpuPerPacketUs' },
  { num: 'mcr', den: 'mcr-fixed', metric: 'relayCpuPerPacketUs' },
  { num: 'mcr', den: 'mcr-fixed', metric: 'p99Us' },
  { num: 'mcr-tc', den: 'kernel', metric: 'p50Us' },
  { num: 'mcr-tc', den: 'kernel', metric: 'p99Us' },
  { num: 'mcr-tc', den: 'kernel', metric: 'machineCpuPerPacketUs' },
  { num: 'mcr-tc', den: 'mcr', metric: 'machineCpuPerPacketUs' },
  { num: 'mcr-tc', den: 'mcr', metric: 'p99Us' },
];

export function findCell(cells: readonly LatencyCell[], rung: RungId, subject: LatencySubject): LatencyCell | undefined {
  return cells.find((c) => c.rung === rung && isSubject(c.subject, subject));
}

const medianOf = (c: LatencyCell | undefined, metric: LatencyMetric): number | null => c?.stats?.[metric]?.median ?? null;

export function ratioOf(cells: readonly LatencyCell[], rung: RungId, num: LatencySubject, den: LatencySubject, metric: LatencyMetric): number | null {
  const a = medianOf(findCell(cells, rung, num), metric);
  const b = medianOf(findCell(cells, rung, den), metric);
  return a === null || b === null || b <= 0 ? null : a / b;
}

/** Every ratio whose two cells were measured. */
export function latencyRatios(cells: readonly LatencyCell[]): LatencyRatio[] {
  const rungs = [...new Set(cells.map((c) => c.rung))];
  return rungs.flatMap((rung) =>
    RATIO_SPECS.filter((r) => findCell(cells, rung, r.num) && findCell(cells, rung, r.den)).map((r) => ({
      rung,
      name: `${r.num}/${r.den}`,
      metric: r.metric,
      value: ratioOf(cells, rung, r.num, r.den, r.metric),
    })),
  );
}

/** A latency target: a ratio at a rate that must not exceed a limit. */
export interface LatencyTarget {
  rung: RungId;
  num: LatencySubject;
  den: LatencySubject;
  metric: LatencyMetric;
  limit: number;
  text: string;
}

/** The latency targets, stated once: kernel-class latency and socat-beating CPU at the same time. */
export const LATENCY_TARGETS: readonly LatencyTarget[] = [
  { rung: '20k', num: 'mcr', den: 'kernel', metric: 'p50Us', limit: 3, text: 'p50 <= 3x kernel at 20 kpps' },
  { rung: '20k', num: 'mcr', den: 'kernel', metric: 'p99Us', limit: 5, text: 'p99 <= 5x kernel at 20 kpps' },
  { rung: '50k', num: 'mcr', den: 'kernel', metric: 'p50Us', limit: 3, text: 'p50 <= 3x kernel at 50 kpps' },
  { rung: '50k', num: 'mcr', den: 'kernel', metric: 'p99Us', limit: 5, text: 'p99 <= 5x kernel at 50 kpps' },
  { rung: '50k', num: 'mcr', den: 'socat', metric: 'relayCpuPerPacketUs', limit: 0.35, text: 'relay CPU per packet <= 0.35x socat at 50 kpps' },
  // The tc engine forwards in softirq, as the kernel does: it is held to the kernel's figures, and its
  // whole-machine CPU (its relay processes barely run) to half the packet engine's.
  { rung: '20k', num: 'mcr-tc', den: 'kernel', metric: 'p50Us', limit: 1.2, text: 'mcr-tc p50 <= 1.2x kernel at 20 kpps' },
  { rung: '20k', num: 'mcr-tc', den: 'kernel', metric: 'p99Us', limit: 1.5, text: 'mcr-tc p99 <= 1.5x kernel at 20 kpps' },
  { rung: '50k', num: 'mcr-tc', den: 'kernel', metric: 'p50Us', limit: 1.2, text: 'mcr-tc p50 <= 1.2x kernel at 50 kpps' },
  { rung: '50k', num: 'mcr-tc', den: 'kernel', metric: 'p99Us', limit: 1.5, text: 'mcr-tc p99 <= 1.5x kernel at 50 kpps' },
  { rung: '50k', num: 'mcr-tc', den: 'kernel', metric: 'machineCpuPerPacketUs', limit: 1.2, text: 'mcr-tc machine CPU per packet <= 1.2x kernel at 50 kpps' },
  { rung: '50k', num: 'mcr-tc', den: 'mcr', metric: 'machineCpuPerPacketUs', limit: 0.5, text: 'mcr-tc machine CPU per packet <= 0.5x mcr at 50 kpps' },
];

export interface TargetVerdict {
  text: string;
  rung: RungId;
  name: string;
  metric: LatencyMetric;
  limit: number;
  value: number | null;
  /** null: not measured (a relay missing or without the figure). */
  met: boolean | null;
  /** What weakens the comparison: a side that lost packets, did not reach the rate, or delivered duplicates. */
  caveats: string[];
}

/** Why one cell's figures are not a clean measurement at its rate. */
export function cellCaveats(cell: LatencyCell | undefined, maxLossPct: number): string[] {
  const s = cell?.stats;
  if (!cell || !s) return [];
  const who = SUBJECT_LABELS[cell.subject];
  const out: string[] = [];
  if (s.senderBoundTrials > 0) out.push(`${who}: sender-bound in ${s.senderBoundTrials}/${s.trials} trials`);
  if (s.lossPct.median > maxLossPct) out.push(`${who} lost ${s.lossPct.median.toFixed(2)} % (median)`);
  if (s.incorrectTrials > 0) out.push(`${who}: duplicates or corrupt packets in ${s.incorrectTrials}/${s.trials} trials`);
  return out;
}

export function targetVerdicts(cells: readonly LatencyCell[], maxLossPct: number, targets: readonly LatencyTarget[] = LATENCY_TARGETS): TargetVerdict[] {
  return targets.map((t) => {
    const value = ratioOf(cells, t.rung, t.num, t.den, t.metric);
    return {
      text: t.text,
      rung: t.rung,
      name: `${t.num}/${t.den}`,
      metric: t.metric,
      limit: t.limit,
      value,
      met: value === null ? null : value <= t.limit,
      caveats: [...cellCaveats(findCell(cells, t.rung, t.num), maxLossPct), ...cellCaveats(findCell(cells, t.rung, t.den), maxLossPct)],
    };
  });
}

/** The NDR behind the half-NDR rung, per relay. */
export interface NdrFigure {
  relay: RelayName;
  /** null: no rate passed (below the search's floor), or the file has no figure for the relay. */
  pps: number | null;
  /** pps is a lower bound: the sender could not offer more (or the search's ceiling). */
  lowerBound: boolean;
}

/** The half-NDR rung's rate for a relay, rounded to 100 pps; null without an NDR. */
export function halfNdrRate(ndr: NdrFigure | undefined): number | null {
  if (!ndr || ndr.pps === null) return null;
  return Math.max(100, Math.round((ndr.pps * NDR_FRACTION) / 100) * 100);
}

/** One TCP-noise trial: the multicast trial's figures, the TCP flow beside it, and mcr's frame counters. */
export interface TcpNoiseTrial {
  flow: boolean;
  record: TrialRecord;
  /** iperf3's received throughput; null without a flow. */
  tcpBitsPerSecond: number | null;
  /** Frames that reached mcr's workers (mcr stats framesSeen) over the trial, priming included. */
  framesSeen: number | null;
  forwarded: number | null;
  /** Frames the relay's input interface received over the trial (rx_packets): the TCP segments too. */
  inputFrames: number | null;
}

export interface TcpNoiseResult {
  ratePps: number;
  minTcpBitsPerSecond: number;
  trials: TcpNoiseTrial[];
  quiet: CellStats | null;
  noisy: CellStats | null;
  tcpBitsPerSecond: Spread | null;
  /** Median relay CPU per packet with the flow / without it, minus 1 (0.05 = 5 % more). */
  relayCpuRise: number | null;
  /** Every flow trial carried at least minTcpBitsPerSecond. */
  flowReachedMinimum: boolean;
  framesSeen: { quiet: Spread | null; noisy: Spread | null };
  inputFrames: { quiet: Spread | null; noisy: Spread | null };
}

export function tcpNoiseSummary(trials: readonly TcpNoiseTrial[], ratePps = TCP_NOISE_RATE_PPS, minBits = TCP_NOISE_MIN_BITS_PER_SECOND): TcpNoiseResult {
  const quiet = trials.filter((t) => !t.flow);
  const noisy = trials.filter((t) => t.flow);
  const q = cellStats(quiet.map((t) => t.record));
  const n = cellStats(noisy.map((t) => t.record));
  const qc = q?.relayCpuPerPacketUs?.median ?? null;
  const nc = n?.relayCpuPerPacketUs?.median ?? null;
  return {
    ratePps,
    minTcpBitsPerSecond: minBits,
    trials: [...trials],
    quiet: q,
    noisy: n,
    tcpBitsPerSecond: spread(noisy.map((t) => t.tcpBitsPerSecond)),
    relayCpuRise: qc === null || nc === null || qc <= 0 ? null : nc / qc - 1,
    flowReachedMinimum: noisy.length > 0 && noisy.every((t) => (t.tcpBitsPerSecond ?? 0) >= minBits),
    framesSeen: { quiet: spread(quiet.map((t) => t.framesSeen)), noisy: spread(noisy.map((t) => t.framesSeen)) },
    inputFrames: { quiet: spread(quiet.map((t) => t.inputFrames)), noisy: spread(noisy.map((t) => t.inputFrames)) },
  };
}

export interface LatencyResult {
  streams: number;
  size: number;
  /** Interleaved rounds: every (relay, rate) cell has up to this many trials. */
  repeats: number;
  trialSeconds: number;
  topology: 'chain';
  /** Where the NDRs come from: a short search in this run (result.points[0]) or a multi-stream results file. */
  ndrSource: { kind: 'search' } | { kind: 'file'; file: string };
  ndr: NdrFigure[];
  cells: LatencyCell[];
  ratios: LatencyRatio[];
  targets: TargetVerdict[];
  /** mcr's default against the fixed window at BULK_RATE_PPS; null when mcr was not measured. */
  bulk: { ratePps: number; fixedWindowMicros: number; relayCpuRatio: number | null; senderBound: boolean } | null;
  /** mcr beside an iperf3 TCP flow on its input; skipped: why not measured. */
  tcpNoise: TcpNoiseResult | { skipped: string };
  /** Requested relays that cannot run on this machine (absent in results written before they were recorded). */
  unavailable?: { relay: string; title: string; reason: string }[];
}

/** Folds the cells into the result's derived figures (ratios, verdicts, the bulk comparison). */
export function summariseLatency(
  base: Pick<LatencyResult, 'streams' | 'size' | 'repeats' | 'trialSeconds' | 'topology' | 'ndrSource' | 'ndr' | 'cells' | 'tcpNoise' | 'unavailable'>,
  maxLossPct: number,
): LatencyResult {
  const cells = base.cells.map((c) => ({ ...c, stats: cellStats(c.trials) }));
  const bulkCells = cells.filter((c) => c.rung === 'bulk');
  return {
    ...base,
    cells,
    ratios: latencyRatios(cells),
    targets: targetVerdicts(cells, maxLossPct),
    bulk: bulkCells.length === 0
      ? null
      : {
          ratePps: BULK_RATE_PPS,
          fixedWindowMicros: FIXED_WINDOW_MICROS,
          relayCpuRatio: ratioOf(cells, 'bulk', 'mcr', 'mcr-fixed', 'relayCpuPerPacketUs'),
          senderBound: bulkCells.some((c) => (c.stats?.senderBoundTrials ?? 0) > 0),
        },
  };
}
