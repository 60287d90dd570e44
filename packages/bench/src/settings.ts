// Settings of a bench run: one normalise -> default -> validate step (house style 9).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AddressFamily, RelayName } from './lab.js';

export const TARGETS = ['multi-stream', 'scaling', 'fanout', 'workers', 'join-leave', 'group-capacity', 'first-packet', 'micro', 'gate', 'soak', 'readme'] as const;
export type Target = (typeof TARGETS)[number];
export const RELAYS: readonly RelayName[] = ['mcr', 'socat', 'kernel'];
export const FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];
/** The targets whose test beds take --family (the rate searches); the others run IPv4 only. */
export const FAMILY_TARGETS: readonly Target[] = ['multi-stream', 'scaling', 'fanout', 'workers'];

export interface Settings {
  target: Target;
  /** IP version of the streams (the lab's stream plan: 239.1.x.y or ff3e::1:n). */
  family: AddressFamily;
  /** Streams (groups) offered; scaling: the largest count. */
  streams: number;
  /** mcr worker processes; workers target: the largest count. */
  workers: number;
  /** fanout: the largest number of outputs. */
  outputs: number;
  /** UDP payload bytes. */
  size: number;
  trialSeconds: number;
  relays: RelayName[];
  /** PDR threshold, percent. */
  maxLossPct: number;
  long: boolean;
  /** Rungs per search (trials per relay at most). */
  rungs: number;
  floorPps: number;
  ceilingPps: number;
  /** Stop refining when highest pass / lowest fail is within this ratio. */
  resolution: number;
  /** A trial whose achieved rate is below this fraction of the offered rate is sender-bound. */
  senderBoundRatio: number;
  prime: boolean;
  outDir: string;
  json: boolean;
  /** readme only: compare README.md with the results instead of writing it. */
  check: boolean;
  /** gate only: name the working tree's HEAD commit as the baseline in results/baseline.json (no measurement). */
  updateBaseline: boolean;
  /** gate only: percentage points added to every threshold (printed and recorded); null = as committed. */
  tolerancePct: number | null;
  /** gate: interleaved candidate/baseline pairs per fixed rate. */
  pairs: number;
  /** gate: the fixed rate of the CPU and latency pairs, aggregate pps. */
  fixedRatePps: number;
  /** gate: the fixed high rate of the throughput pairs, aggregate pps (above mcr's NDR: delivery measures capacity). */
  highRatePps: number;
  /** gate: the baseline build's mcr CLI (bin/mcr.js), built by tools/gate.sh; null = not given. */
  baselineBin: string | null;
  /** gate: another build as the candidate instead of the working tree's (testing the gate itself; printed, recorded). */
  candidateBin: string | null;
  /** gate: the commit the baseline build was made from (recorded). */
  baselineCommit: string | null;
  /** gate: negative control: the candidate runs with this many percent of the baseline's relay CPU per packet injected. */
  injectRegressionPct: number | null;
  /** join-leave: rounds. */
  rounds: number;
  /** Trials at every reported rate (NDR, PDR): figures are their median with min-max; at least 3 by default. */
  repeats: number;
  /** soak: seconds of traffic. */
  durationSec: number;
  /** soak (and group-capacity, first-packet): aggregate rate; null = the target's default. */
  ratePps: number | null;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** bench:soak's aggregate rate unless --rate: below mcr's measured 10-stream NDR with a wide margin. */
export const SOAK_DEFAULT_RATE_PPS = 150_000;

export type RawFlags = Record<string, string | boolean | undefined>;

function num(flag: string, raw: string | boolean | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`--${flag}: expected a number, got ${JSON.stringify(raw)}`);
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new UsageError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

function relays(raw: string | boolean | undefined): RelayName[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError('--relays: expected a list such as mcr,socat,kernel');
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of list) {
    if (!(RELAYS as readonly string[]).includes(r)) {
      throw new UsageError(`--relays: unknown relay ${JSON.stringify(r)} (expected some of ${RELAYS.join(',')})`);
    }
  }
  return [...new Set(list)] as RelayName[];
}

function family(raw: string | boolean | undefined): AddressFamily | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(FAMILIES as readonly string[]).includes(raw)) {
    throw new UsageError(`--family: expected ${FAMILIES.join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as AddressFamily;
}

type Defaults = Omit<Settings, 'target' | 'family' | 'outDir' | 'json' | 'updateBaseline' | 'check' | 'baselineBin' | 'candidateBin' | 'baselineCommit' | 'injectRegressionPct'>;

/** Per-target defaults before flags: the defaults fit in 3 minutes on 2 cores; --long uses RFC 2544 60 s trials. */
function defaults(target: Target, long: boolean): Defaults {
  const base = {
    streams: 10,
    workers: 1,
    outputs: 4,
    size: 1000,
    trialSeconds: long ? 60 : 2,
    relays: [...RELAYS],
    maxLossPct: 0.1,
    long,
    rungs: long ? 10 : 8,
    floorPps: 5_000,
    ceilingPps: 600_000,
    resolution: long ? 1.05 : 1.1,
    senderBoundRatio: 0.97,
    prime: true,
    tolerancePct: null as number | null,
    rounds: 5,
    repeats: 3,
    durationSec: 600,
    ratePps: null as number | null,
    pairs: 8,
    fixedRatePps: 50_000,
    highRatePps: 600_000,
  };
  switch (target) {
    case 'scaling':
      return { ...base, streams: 10, rungs: long ? 8 : 4, trialSeconds: long ? 60 : 1 };
    case 'fanout':
      return { ...base, streams: 1, rungs: long ? 8 : 4, trialSeconds: long ? 60 : 1 };
    case 'workers':
      return { ...base, relays: ['mcr'], workers: 2, rungs: long ? 8 : 5, trialSeconds: long ? 60 : 1.5 };
    case 'gate':
      return { ...base, streams: 4, trialSeconds: 2, relays: ['mcr'] };
    case 'soak':
      return { ...base, relays: ['mcr'] };
    case 'group-capacity':
      // RFC 3918 group capacity: up to 1000 groups at one fixed aggregate rate.
      return { ...base, streams: 1000, trialSeconds: long ? 60 : 1, ratePps: 50_000 };
    case 'first-packet':
      return { ...base, ratePps: 10_000 };
    default:
      return base;
  }
}

export function normalizeSettings(target: string, flags: RawFlags, cwd = process.cwd()): Settings {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(`target: expected one of ${TARGETS.join(', ')}, got ${JSON.stringify(target)}`);
  }
  const t = target as Target;
  const long = flags.long === true;
  const d = defaults(t, long);
  const s: Settings = {
    target: t,
    family: family(flags.family) ?? 'ipv4',
    streams: num('streams', flags.streams, 1, 1000, true) ?? d.streams,
    workers: num('workers', flags.workers, 1, 64, true) ?? d.workers,
    outputs: num('outputs', flags.outputs, 1, 32, true) ?? d.outputs,
    size: num('size', flags.size, 64, 8972, true) ?? d.size,
    trialSeconds: num('trial-seconds', flags['trial-seconds'], 0.2, 3600, false) ?? d.trialSeconds,
    relays: relays(flags.relays) ?? d.relays,
    maxLossPct: num('max-loss', flags['max-loss'], 0, 100, false) ?? d.maxLossPct,
    long,
    rungs: num('rungs', flags.rungs, 1, 50, true) ?? d.rungs,
    floorPps: num('floor', flags.floor, 1, 10_000_000, true) ?? d.floorPps,
    ceilingPps: num('ceiling', flags.ceiling, 1, 10_000_000, true) ?? d.ceilingPps,
    resolution: d.resolution,
    senderBoundRatio: d.senderBoundRatio,
    prime: flags['no-prime'] !== true,
    outDir: typeof flags.out === 'string' ? flags.out : defaultOutDir(cwd),
    json: flags.json === true,
    updateBaseline: flags['update-baseline'] === true,
    check: flags.check === true,
    tolerancePct: num('tolerance', flags.tolerance, 0, 100, false) ?? d.tolerancePct,
    rounds: num('rounds', flags.rounds, 1, 100, true) ?? d.rounds,
    repeats: num('repeats', flags.repeats, 1, 20, true) ?? d.repeats,
    durationSec: num('duration', flags.duration, 1, 7 * 86400, false) ?? d.durationSec,
    ratePps: num('rate', flags.rate, 1, 10_000_000, true) ?? d.ratePps,
    pairs: num('pairs', flags.pairs, 2, 100, true) ?? d.pairs,
    fixedRatePps: num('fixed-rate', flags['fixed-rate'], 1000, 10_000_000, true) ?? d.fixedRatePps,
    highRatePps: num('high-rate', flags['high-rate'], 1000, 10_000_000, true) ?? d.highRatePps,
    baselineBin: typeof flags['baseline-bin'] === 'string' ? flags['baseline-bin'] : null,
    candidateBin: typeof flags['candidate-bin'] === 'string' ? flags['candidate-bin'] : null,
    baselineCommit: typeof flags['baseline-commit'] === 'string' ? flags['baseline-commit'] : null,
    injectRegressionPct: num('inject-regression', flags['inject-regression'], 1, 1000, false) ?? null,
  };
  const gateOnly = ['pairs', 'fixed-rate', 'high-rate', 'baseline-bin', 'candidate-bin', 'baseline-commit', 'inject-regression', 'tolerance', 'update-baseline'];
  const misplaced = gateOnly.find((f) => flags[f] !== undefined);
  if (t !== 'readme' && flags.check !== undefined) throw new UsageError(`--check applies to the readme target only (target is ${t})`);
  if (t !== 'gate' && misplaced) throw new UsageError(`--${misplaced} applies to the gate target only (target is ${t})`);
  if (flags.family !== undefined && !FAMILY_TARGETS.includes(t)) {
    throw new UsageError(`--family applies to the ${FAMILY_TARGETS.join(', ')} targets only (target is ${t})`);
  }
  if (t !== 'soak' && flags.duration !== undefined) throw new UsageError(`--duration applies to the soak target only (target is ${t})`);
  if (!['soak', 'group-capacity', 'first-packet'].includes(t) && flags.rate !== undefined) {
    throw new UsageError(`--rate applies to the soak, group-capacity and first-packet targets only (target is ${t})`);
  }
  if (flags.out === true) throw new UsageError('--out: expected a directory');
  if (s.floorPps >= s.ceilingPps) throw new UsageError(`--floor: must be below --ceiling (${s.ceilingPps}), got ${s.floorPps}`);
  if (s.relays.length === 0) throw new UsageError('--relays: expected at least one relay');
  return s;
}

/** `results/` at the workspace root: found by walking up to the directory that holds nx.json. */
export function defaultOutDir(cwd: string): string {
  return `${workspaceRoot(cwd)}/results`;
}

export function workspaceRoot(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(cwd);
    dir = up;
  }
}
