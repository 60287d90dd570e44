// Settings of a bench run: one normalise -> default -> validate step (house style 9). Each flag's type
// and range is the zod schema's below; per-target defaults and the flags that apply to one target
// only follow it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { choiceValue, defaultsAcross, flagsSchema as cliFlagsSchema, integerValue, numberValue, UsageError, usageErrorFrom, type Flags } from '@mcr/cli-kit';
import { DEFAULTS } from '@mcr/relay';
import { RELAY_NAMES, SENDER_BOUND_RATIO } from '@mcr/mcr-lab';
import { FAMILIES, MAX_PAYLOAD, MIN_PAYLOAD } from '@mcr/netns-lab';
import type { AddressFamily, RelayName, UnavailableRelay } from './lab.js';

export { UsageError };
export type { RelayName };

export const TARGETS = ['multi-stream', 'scaling', 'fanout', 'workers', 'join-leave', 'group-capacity', 'first-packet', 'latency', 'micro', 'gate', 'soak', 'readme'] as const;
export type Target = (typeof TARGETS)[number];
export const RELAYS: readonly RelayName[] = RELAY_NAMES;
/**
 * The relays a comparison runs unless --relays says otherwise: mcr on both engines, tuned socat, the in-kernel
 * reference this kernel has, and the direct wire, the machine's own ceiling.
 */
export const DEFAULT_RELAYS: readonly RelayName[] = ['mcr', 'mcr-tc', 'socat', 'kernel', 'direct'];
/** The targets that compare relays (the others run mcr alone): --relays is resolved for them before they run. */
export const RELAY_TARGETS: readonly Target[] = ['multi-stream', 'scaling', 'fanout', 'workers', 'group-capacity', 'first-packet', 'latency'];
export { FAMILIES };
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
  /**
   * Requested relays that cannot run on this machine, with the lab's reason (filled in when the run
   * starts: `relays` then holds only the ones that run, `kernel` resolved to kernel-mfc or kernel-tc).
   */
  unavailable: UnavailableRelay[];
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
  /** readme only: compare README.md and docs/ with their sources instead of writing them. */
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
  /** join-leave: joins and leaves per family; first-packet: fresh relays. */
  rounds: number;
  /** Trials at every reported rate (NDR, PDR): figures are their median with min-max; at least 3 by default. */
  repeats: number;
  /** soak: seconds of traffic. */
  durationSec: number;
  /** soak (and group-capacity, first-packet): aggregate rate; null = the target's default. */
  ratePps: number | null;
  /** latency: take each relay's NDR from this multi-stream results file instead of searching; null = search. */
  ndrFrom: string | null;
  /** latency: also measure mcr's CPU per packet beside an iperf3 TCP flow on its input. */
  tcpNoise: boolean;
  /** latency: the rungs to run (default all of LATENCY_RUNGS). */
  latencyRungs: LatencyRung[];
}

/** bench:latency's rungs, as --rates names them: 20 and 50 kpps, half of each relay's NDR, mcr at 150 kpps. */
export const LATENCY_RUNGS = ['20k', '50k', 'half-ndr', 'bulk'] as const;
export type LatencyRung = (typeof LATENCY_RUNGS)[number];

/** "20k,half-ndr": some of the latency rungs, kept in LATENCY_RUNGS' order. */
const latencyRungList = z.string().transform((text, ctx): LatencyRung[] => {
  const list = text.split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) ctx.addIssue(`expected some of ${LATENCY_RUNGS.join(',')}`);
  for (const r of list) {
    if (!(LATENCY_RUNGS as readonly string[]).includes(r)) ctx.addIssue(`unknown rate ${JSON.stringify(r)} (expected some of ${LATENCY_RUNGS.join(',')})`);
  }
  return LATENCY_RUNGS.filter((r) => list.includes(r));
});

/** bench:soak's aggregate rate unless --rate: below mcr's measured 10-stream NDR with a wide margin. */
export const SOAK_DEFAULT_RATE_PPS = 150_000;

export type RawFlags = Record<string, string | boolean | undefined>;

/** "mcr,kernel": some of the relays, each once. */
const relayList = z.string().transform((text, ctx): RelayName[] => {
  const list = text.split(',').map((r) => r.trim()).filter(Boolean);
  if (list.length === 0) ctx.addIssue(`expected a list such as ${DEFAULT_RELAYS.join(',')}`);
  for (const r of list) {
    if (!(RELAYS as readonly string[]).includes(r)) ctx.addIssue(`unknown relay ${JSON.stringify(r)} (expected some of ${RELAYS.join(',')})`);
  }
  return [...new Set(list)] as RelayName[];
});

const rate = integerValue(1, 10_000_000);
const text = z.string();

/** Every flag, keyed as the command line writes it: its value's schema and what it means (the help is derived). */
export const BENCH_FLAGS = {
  streams: { value: 'N', schema: integerValue(1, 1000), help: 'streams (groups); scaling: the largest count' },
  workers: { value: 'N', schema: integerValue(1, DEFAULTS.maxWorkers), help: 'mcr workers; workers target: the largest count' },
  outputs: { value: 'K', schema: integerValue(1, 32), help: 'fanout: the largest number of outputs' },
  size: { value: 'B', schema: integerValue(MIN_PAYLOAD, MAX_PAYLOAD), help: 'UDP payload bytes' },
  'trial-seconds': { value: 'S', schema: numberValue(0.2, 3600), help: 'seconds per trial (--long: 60)' },
  relays: { value: 'LIST', schema: relayList, help: `some of ${RELAYS.join(',')}; kernel: kernel-mfc where the kernel routes multicast, else kernel-tc; direct: a wire in place of a relay, the machine's ceiling` },
  family: { value: 'F', schema: choiceValue<AddressFamily>(FAMILIES), help: 'the streams\' address family (multi-stream, scaling, fanout, workers)', defaults: 'default ipv4' },
  'max-loss': { value: 'PCT', schema: numberValue(0, 100), help: 'PDR loss threshold, percent' },
  rungs: { value: 'N', schema: integerValue(1, 50), help: 'trials per relay at most (--long: 10)' },
  floor: { value: 'PPS', schema: rate, help: 'lowest aggregate rate searched' },
  ceiling: { value: 'PPS', schema: rate, help: 'highest aggregate rate searched' },
  'no-prime': { help: 'do not prime the path before counting (not RFC 3918)' },
  long: { help: 'RFC 2544 trial length (60 s) and a finer search' },
  rounds: { value: 'N', schema: integerValue(1, 100), help: 'join-leave, first-packet: rounds' },
  repeats: { value: 'N', schema: integerValue(1, 20), help: 'trials at every reported NDR/PDR rate: median, min-max (latency: rounds)' },
  pairs: { value: 'N', schema: integerValue(2, 100), help: 'gate: interleaved candidate/baseline pairs per rate' },
  'fixed-rate': { value: 'PPS', schema: integerValue(1000, 10_000_000), help: 'gate: rate of the CPU and latency pairs' },
  'high-rate': { value: 'PPS', schema: integerValue(1000, 10_000_000), help: 'gate: rate of the throughput pairs' },
  'baseline-bin': { value: 'PATH', schema: text, help: "gate: the baseline build's bin/mcr.js (tools/gate.sh builds it)" },
  'baseline-commit': { value: 'C', schema: text, help: 'gate: the commit that build was made from (recorded)' },
  'candidate-bin': { value: 'PATH', schema: text, help: "gate: run this build as the candidate instead of the working tree's (testing the gate itself; announced and recorded)" },
  'inject-regression': {
    value: 'PCT',
    schema: numberValue(1, 1000),
    help: "gate: negative control: the candidate burns PCT % of the baseline's relay CPU per packet more (relay config testOnly.injectedWorkNanos); must FAIL",
  },
  tolerance: { value: 'PCT', schema: numberValue(0, 100), help: 'gate: widen every threshold by PCT points (announced, recorded)' },
  'update-baseline': { help: 'gate: name HEAD as the baseline commit in results/baseline.json' },
  duration: { value: 'S', schema: numberValue(1, 7 * 86400), help: 'soak: seconds of traffic' },
  rate: { value: 'PPS', schema: rate, help: 'soak, group-capacity, first-packet: aggregate rate' },
  'ndr-from': {
    value: 'FILE',
    schema: z.string({ error: 'expected a multi-stream results file' }).min(1, { error: 'expected a multi-stream results file' }),
    help: "latency: each relay's NDR from this multi-stream results file (relative to the workspace root) instead of a short search in the run",
  },
  'no-tcp-noise': { help: "latency: skip mcr's CPU per packet beside an iperf3 TCP flow on its input" },
  rates: { value: 'LIST', schema: latencyRungList, help: `latency: some of ${LATENCY_RUNGS.join(',')}`, defaults: 'default all' },
  out: { value: 'DIR', schema: z.string({ error: 'expected a directory' }), help: 'results directory', defaults: 'default <workspace>/results' },
  json: { help: 'print the result JSON on stdout (report on stderr)' },
  check: { help: 'readme: exit 1 when README.md or docs/ and their sources disagree, write nothing' },
} as const satisfies Flags;

const flagsSchema = cliFlagsSchema({ ...BENCH_FLAGS, help: { short: 'h' } });

type Defaults = Omit<Settings, 'target' | 'family' | 'unavailable' | 'outDir' | 'json' | 'updateBaseline' | 'check' | 'baselineBin' | 'candidateBin' | 'baselineCommit' | 'injectRegressionPct' | 'ndrFrom' | 'tcpNoise' | 'latencyRungs'>;

/** Per-target defaults before flags: the defaults fit in 3 minutes on 2 cores; --long uses RFC 2544 60 s trials. */
function defaults(target: Target, long: boolean): Defaults {
  const base = {
    streams: 10,
    workers: 1,
    outputs: 4,
    size: 1000,
    trialSeconds: long ? 60 : 2,
    relays: [...DEFAULT_RELAYS],
    maxLossPct: 0.1,
    long,
    rungs: long ? 10 : 8,
    floorPps: 5_000,
    ceilingPps: 600_000,
    resolution: long ? 1.05 : 1.1,
    senderBoundRatio: SENDER_BOUND_RATIO,
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
    case 'join-leave':
      // RFC 3918 asks for many joins and leaves: 60 per family (~3 min each).
      return { ...base, relays: ['mcr'], rounds: 60 };
    case 'latency':
      // One stream at fixed rates, 5 interleaved repeats of 3 s trials; the NDR search behind the
      // 50 %-of-NDR rung is short (6 rungs of 1 s trials per relay). About 10 minutes on 2 cores.
      return { ...base, streams: 1, repeats: 5, trialSeconds: long ? 60 : 3, rungs: 6 };
    default:
      return base;
  }
}

/** The setting each flag overrides, where its default comes from defaults() (per target). */
const SETTING_OF_FLAG: Partial<Record<keyof typeof BENCH_FLAGS, keyof Defaults>> = {
  streams: 'streams', workers: 'workers', outputs: 'outputs', size: 'size', 'trial-seconds': 'trialSeconds', relays: 'relays',
  'max-loss': 'maxLossPct', rungs: 'rungs', floor: 'floorPps', ceiling: 'ceilingPps', rounds: 'rounds', repeats: 'repeats',
  pairs: 'pairs', 'fixed-rate': 'fixedRatePps', 'high-rate': 'highRatePps', duration: 'durationSec', rate: 'ratePps',
};

/** A flag's default as the help says it: the value most targets take, then each target that differs. */
export function defaultsText(flag: keyof typeof BENCH_FLAGS): string | undefined {
  const key = SETTING_OF_FLAG[flag];
  if (key === undefined) return undefined;
  const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));
  const byTarget = TARGETS.flatMap((target) => {
    const v = key === 'ratePps' && target === 'soak' ? SOAK_DEFAULT_RATE_PPS : defaults(target, false)[key];
    return v === null ? [] : [{ name: target, value: show(v) }];
  });
  return defaultsAcross(byTarget);
}

/** The flag table with each default as defaults() has it per target: what the help shows. */
export function benchFlagsForHelp(): Flags {
  return Object.fromEntries(
    Object.entries(BENCH_FLAGS).map(([name, f]) => {
      const d = defaultsText(name as keyof typeof BENCH_FLAGS);
      return [name, d === undefined ? f : { ...f, defaults: d }];
    }),
  );
}

export function normalizeSettings(target: string, raw: RawFlags, cwd = process.cwd()): Settings {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(`target: expected one of ${TARGETS.join(', ')}, got ${JSON.stringify(target)}`);
  }
  const t = target as Target;
  const parsed = flagsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!parsed.success) throw usageErrorFrom(parsed.error.issues);
  const flags = parsed.data;
  const long = flags.long === true;
  const d = defaults(t, long);
  const s: Settings = {
    target: t,
    family: flags.family ?? 'ipv4',
    streams: flags.streams ?? d.streams,
    workers: flags.workers ?? d.workers,
    outputs: flags.outputs ?? d.outputs,
    size: flags.size ?? d.size,
    trialSeconds: flags['trial-seconds'] ?? d.trialSeconds,
    relays: flags.relays ?? d.relays,
    unavailable: [],
    maxLossPct: flags['max-loss'] ?? d.maxLossPct,
    long,
    rungs: flags.rungs ?? d.rungs,
    floorPps: flags.floor ?? d.floorPps,
    ceilingPps: flags.ceiling ?? d.ceilingPps,
    resolution: d.resolution,
    senderBoundRatio: d.senderBoundRatio,
    prime: flags['no-prime'] !== true,
    outDir: flags.out ?? defaultOutDir(cwd),
    json: flags.json === true,
    updateBaseline: flags['update-baseline'] === true,
    check: flags.check === true,
    tolerancePct: flags.tolerance ?? d.tolerancePct,
    rounds: flags.rounds ?? d.rounds,
    repeats: flags.repeats ?? d.repeats,
    durationSec: flags.duration ?? d.durationSec,
    ratePps: flags.rate ?? d.ratePps,
    pairs: flags.pairs ?? d.pairs,
    fixedRatePps: flags['fixed-rate'] ?? d.fixedRatePps,
    highRatePps: flags['high-rate'] ?? d.highRatePps,
    baselineBin: flags['baseline-bin'] ?? null,
    candidateBin: flags['candidate-bin'] ?? null,
    baselineCommit: flags['baseline-commit'] ?? null,
    injectRegressionPct: flags['inject-regression'] ?? null,
    // Relative to the workspace root: nx runs the bench in packages/bench.
    ndrFrom: flags['ndr-from'] === undefined ? null : resolve(workspaceRoot(cwd), flags['ndr-from']),
    tcpNoise: flags['no-tcp-noise'] !== true,
    latencyRungs: flags.rates ?? [...LATENCY_RUNGS],
  };
  const gateOnly = ['pairs', 'fixed-rate', 'high-rate', 'baseline-bin', 'candidate-bin', 'baseline-commit', 'inject-regression', 'tolerance', 'update-baseline'];
  const misplaced = gateOnly.find((f) => raw[f] !== undefined);
  if (t !== 'readme' && raw.check !== undefined) throw new UsageError(`--check applies to the readme target only (target is ${t})`);
  if (t !== 'gate' && misplaced) throw new UsageError(`--${misplaced} applies to the gate target only (target is ${t})`);
  if (raw.family !== undefined && !FAMILY_TARGETS.includes(t)) {
    throw new UsageError(`--family applies to the ${FAMILY_TARGETS.join(', ')} targets only (target is ${t})`);
  }
  const latencyOnly = ['ndr-from', 'no-tcp-noise', 'rates'].find((f) => raw[f] !== undefined);
  if (t !== 'latency' && latencyOnly) throw new UsageError(`--${latencyOnly} applies to the latency target only (target is ${t})`);
  if (t !== 'soak' && raw.duration !== undefined) throw new UsageError(`--duration applies to the soak target only (target is ${t})`);
  if (!['soak', 'group-capacity', 'first-packet'].includes(t) && raw.rate !== undefined) {
    throw new UsageError(`--rate applies to the soak, group-capacity and first-packet targets only (target is ${t})`);
  }
  if (s.floorPps >= s.ceilingPps) throw new UsageError(`--floor: must be below --ceiling (${s.ceilingPps}), got ${s.floorPps}`);
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
