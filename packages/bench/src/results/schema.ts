// The one result schema every bench run writes (documented in results/README.md).
import type { MachineFindings, RelayName } from '../lab.js';
import type { Ratio } from '../search/ratios.js';
import type { RelaySearch } from '../search/search.js';
import type { MetricCheck } from '../gate/decision.js';
import type { TrialRecord } from '../search/search.js';
import type { Spread } from '../search/spread.js';
import type { TrialFigures } from '../search/verdict.js';
import type { Settings, Target } from '../settings.js';
import type { LatencyResult } from '../latency/figures.js';

export const SCHEMA = 'mcr-bench-result/v1';

export interface Environment {
  hostname: string;
  /** `uname -r`. */
  kernel: string;
  os: string;
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  node: string;
  gitCommit: string | null;
  /** Uncommitted changes in the work tree when the run started. */
  gitDirty: boolean | null;
  /**
   * `mcr-lab doctor`'s findings: kernel features (each probed), tool versions, cores, timer granularity.
   * null: not probed (no lab, or not root); absent in results written before it was recorded.
   */
  machine?: MachineFindings | null;
}

/** One search (one point of a sweep): the parameters that vary, and every relay's figures. */
export interface RunPoint {
  /** e.g. `streams=10`, `outputs=4`, `workers=2`. */
  label: string;
  params: { streams: number; workers?: number; outputs?: number };
  relays: RelaySearch<RelayName>[];
  ratios: Ratio[];
}

/** One join and leave of one receiver (RFC 3918 4.1-4.2), ms; null when a message or packet was not seen. */
export interface JoinLeaveRound {
  round: number;
  family: 'ipv4' | 'ipv6';
  /** The receiver's host stack: IGMPv2, IGMPv3, MLDv1 or MLDv2. */
  protocol: string;
  joinMs: number | null;
  leaveMs: number | null;
}

/** Delays over the rounds: median, p99 and the spread (min-max), ms; null without a sample. */
export interface DelayFigures {
  count: number;
  median: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
}

/** One relay and family: measured, or why it did not run here (never a figure then). */
export interface JoinLeaveRow {
  relay: string;
  family: 'ipv4' | 'ipv6';
  /** What the relay runs with (its config, in words) or its command line. */
  setup: string;
  unavailable?: string;
  joinMs?: DelayFigures;
  leaveMs?: DelayFigures;
  rounds?: JoinLeaveRound[];
}

export interface JoinLeaveResult {
  /** How delays are measured (RFC 3918 4.1-4.2 on the output segment's wire). */
  method: string;
  ratePps: number;
  /** The protocol timers the relay ran with, seconds. */
  timers: Record<string, number>;
  rows: JoinLeaveRow[];
}

export interface MicroTask {
  name: string;
  rules: number;
  frames: number;
  /** Native time per packet, from the bench entry's own clock. */
  nsPerPacket: number;
  /** tinybench: mean and p99 of one call (iterations x frames packets), ms. */
  callMeanMs: number;
  callP99Ms: number;
  samples: number;
}

/** One trial of the gate: which build, which phase, which pair, and the lab's figures. */
export interface GateTrial {
  side: 'candidate' | 'baseline';
  /**
   * warmup: one uncounted trial per build after it starts (the calibration trials warm the baseline up);
   * calibrate: the baseline's CPU per packet for --inject-regression; fixed: CPU and latency; high: throughput.
   */
  phase: 'warmup' | 'calibrate' | 'fixed' | 'high';
  /** Pair number within the phase (0-based; calibrate: the trial number). */
  pair: number;
  /** 2: the confirmation round, run only when the first round found a speed regression. Absent: round 1. */
  round?: 2;
  targetPps: number;
  figures: TrialFigures;
  /** min(offered, achieved) x (1 - loss): what reached the sink, pps. */
  deliveredPps: number;
}

export interface GateRun {
  settings: {
    streams: number; workers: number; trialSeconds: number; pairs: number; fixedRatePps: number; highRatePps: number;
    maxLossPct: number; consistency: number;
    /** Every speed metric with its threshold (percent), its ratio limit after any widening, and why. */
    metrics: { key: string; label: string; direction: string; thresholdPct: number; limit: number; rate: string; why: string }[];
    /** --tolerance: percentage points added to every threshold; null when the thresholds are as committed. */
    toleranceWidenedPct: number | null;
  };
  baseline: { commit: string | null; bin: string };
  candidate: { commit: string | null; dirty: boolean | null; bin: string };
  /** The relay under test: `mcr` (the packet engine; files written before the tc engine have none) or `mcr-tc`. */
  relay?: 'mcr' | 'mcr-tc';
  /**
   * --inject-regression (a negative control): mcr ran with testOnly.injectedWorkNanos sized from the
   * baseline's relay CPU per packet; mcr-tc with testOnly.tcInjectedCostLoops sized from the baseline's
   * machine CPU per packet and the measured cost of one loop iteration.
   */
  injection:
    | { regressionPct: number; baselineRelayCpuPerPacketUs: number; injectedWorkNanos: number }
    | { regressionPct: number; baselineMachineCpuPerPacketUs: number; nsPerLoop: number; tcInjectedCostLoops: number }
    | null;
  trials: GateTrial[];
  /** The final checks: a speed regression stands only if the confirmation round finds it too. */
  checks: MetricCheck[];
  /** The first round's checks, when they found a speed regression and a confirmation round ran. */
  firstRound?: MetricCheck[];
  pass: boolean;
  /** Why the gate could not decide (a bed or a trial failed); absent when it decided. */
  error?: string;
}

export interface BenchResult {
  schema: typeof SCHEMA;
  target: Target;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  environment: Environment;
  settings: Omit<Settings, 'outDir' | 'json' | 'updateBaseline' | 'check'>;
  /** Rate searches: one point for multi-stream and gate, one per count for the sweeps. */
  points: RunPoint[];
  joinLeave?: JoinLeaveResult;
  micro?: { tasks: MicroTask[]; skipped?: string };
  /** gate runs: candidate against baseline in interleaved pairs, every trial, every check. */
  gate?: GateRun;
  /** group-capacity runs (RFC 3918). */
  groupCapacity?: GroupCapacityResult;
  /** first-packet runs (RFC 3918, forwarding at stream start). */
  firstPacket?: FirstPacketResult;
  /** soak runs: the rate and where it came from, and the lab's soak report. */
  soak?: SoakResult;
  /** latency runs: every relay at fixed rates, ratios, the latency targets, the bulk and TCP-noise comparisons. */
  latency?: LatencyResult;
  /** Anything a reader must know: skipped relays, errors. */
  notes: string[];
}

export interface GroupCapacityResult {
  ratePps: number;
  /** Group counts tried, ascending. */
  counts: number[];
  points: {
    groups: number;
    relays: { relay: RelayName; trials: TrialRecord[]; pass: boolean; lossPct: Spread | null; machineCpuPerPacketUs: Spread | null; error?: string }[];
  }[];
  /** Largest count that passed ('max': the largest tried, a lower bound); null: not even 1. */
  capacity: { relay: RelayName; groups: number | null; stop: 'failed' | 'max' }[];
}

export interface FirstPacketResult {
  ratePps: number;
  streams: number;
  packetsPerStream: number;
  rounds: number;
  relays: {
    relay: RelayName;
    rounds: { round: number; lostPerStream: number[]; maxDelayUs: number; p50Us: number; figures: TrialFigures }[];
    /** Over every stream of every round. */
    lostPerStream: Spread | null;
    /** Over rounds: the largest one-way delay among a fresh stream's packets. */
    maxDelayUs: Spread | null;
  }[];
}

export interface SoakResult {
  ratePps: number;
  rateSource: string;
  durationSec: number;
  passed: boolean;
  violations: Array<{ metric: string; value: number; threshold: number; message: string }>;
  summary: string[];
  details: unknown;
}

/** Structural check of a parsed result file; returns the problems (empty when valid). */
export function validateResult(x: unknown): string[] {
  const problems: string[] = [];
  const o = x as Record<string, unknown>;
  if (typeof x !== 'object' || x === null) return ['result: expected an object'];
  if (o.schema !== SCHEMA) problems.push(`schema: expected ${JSON.stringify(SCHEMA)}, got ${JSON.stringify(o.schema)}`);
  for (const k of ['target', 'startedAt', 'finishedAt']) if (typeof o[k] !== 'string') problems.push(`${k}: expected a string`);
  if (typeof o.environment !== 'object' || o.environment === null) problems.push('environment: expected an object');
  if (typeof o.settings !== 'object' || o.settings === null) problems.push('settings: expected an object');
  if (!Array.isArray(o.points)) problems.push('points: expected an array');
  else
    o.points.forEach((p: unknown, i: number) => {
      const pp = p as Record<string, unknown>;
      if (typeof pp?.label !== 'string') problems.push(`points[${i}].label: expected a string`);
      if (!Array.isArray(pp?.relays)) problems.push(`points[${i}].relays: expected an array`);
    });
  if (!Array.isArray(o.notes)) problems.push('notes: expected an array');
  return problems;
}

export function parseResult(text: string, source = 'result'): BenchResult {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const problems = validateResult(x);
  if (problems.length > 0) throw new Error(`${source}: not a ${SCHEMA} file:\n  ${problems.join('\n  ')}`);
  return x as BenchResult;
}
