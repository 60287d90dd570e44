// bench:gate: the candidate (this working tree's mcr) against the baseline (the commit named in
// results/baseline.json, built by tools/gate.sh) on the same machine in the same run. Both run in
// their own test bed; trials alternate in pairs (ABBA) at a fixed rate (relay CPU per packet, p50,
// p99) and at a fixed high rate (throughput), and gate/decision.ts decides on the paired ratios.
// Exit 0 pass, 1 regression, 2 usage or setup error (no baseline build, a bed or trial failed: the
// gate could not decide, which is never a pass).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONSISTENCY, METRICS, metricsFor, pairedRatios, ratioLimit, renderVerdict, speedCheck, type MetricCheck, type MetricSpec, type PairFigures } from '../gate/decision.js';
import { loadBed, type Bed, type BedLoader, type BedOptions, type OpenBed } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import type { GateRun, GateTrial } from '../results/schema.js';
import { gitHead } from '../results/environment.js';
import { trackBed, untrackBed } from '../runner.js';
import { kpps, pickFigures } from '../search/search.js';
import { median } from '../search/spread.js';
import type { TrialFigures } from '../search/verdict.js';
import type { Settings } from '../settings.js';
import { normalizeSettings, workspaceRoot } from '../settings.js';

export const BASELINE_SCHEMA = 'mcr-gate-baseline/v2';
/** Trials of the baseline that measure its relay CPU per packet before --inject-regression sizes the fault. */
export const CALIBRATION_TRIALS = 3;
/** The relay's limit on testOnly.injectedWorkNanos (its config schema's maximum). */
export const MAX_INJECTED_WORK_NANOS = 100_000;
/** The relay's limit on testOnly.tcInjectedCostLoops (its config schema's maximum). */
export const MAX_TC_INJECTED_LOOPS = 1_000_000;
/**
 * mcr-tc's negative control prices one loop iteration of the program's injected cost first: the
 * candidate runs TC_PROBE_TRIALS trials with this many (a cost the machine CPU shows plainly).
 */
export const TC_PROBE_LOOPS = 2000;
export const TC_PROBE_TRIALS = 2;
/** What the gate can measure: mcr as users run it (the packet engine), or on the tc engine (`--relays mcr-tc`). */
export const GATE_RELAYS = ['mcr', 'mcr-tc'] as const;
export type GateRelay = (typeof GATE_RELAYS)[number];

export interface BaselineFile {
  schema: typeof BASELINE_SCHEMA;
  /** The commit the gate builds and runs as the baseline. */
  commit: string;
  recordedAt: string;
  note: string;
}

export async function readBaselineFile(file: string): Promise<BaselineFile> {
  const x = JSON.parse(await readFile(file, 'utf8')) as Partial<BaselineFile>;
  if (x.schema !== BASELINE_SCHEMA || typeof x.commit !== 'string' || !/^[0-9a-f]{7,40}$/.test(x.commit)) {
    throw new Error(`${file}: expected {"schema":"${BASELINE_SCHEMA}","commit":"<sha>",...}; write it with ./tools/gate.sh --update-baseline`);
  }
  return x as BaselineFile;
}

/** What reached the sinks, pps: min(offered, achieved) x (1 - loss). */
export const deliveredPps = (t: TrialFigures): number => Math.min(t.offeredPps, t.achievedPps) * (1 - Math.min(100, Math.max(0, t.lossPct)) / 100);

/** testOnly.injectedWorkNanos that makes each packet cost `pct` % of `relayCpuPerPacketUs` more. */
export function injectedNanos(pct: number, relayCpuPerPacketUs: number): number {
  const ns = Math.round((pct / 100) * relayCpuPerPacketUs * 1000);
  if (!(ns >= 1 && ns <= MAX_INJECTED_WORK_NANOS)) {
    throw new RangeError(`--inject-regression ${pct}: ${ns} ns per packet is outside the relay's 1..${MAX_INJECTED_WORK_NANOS} (baseline ${relayCpuPerPacketUs} us/packet)`);
  }
  return ns;
}

const figuresOf = (t: GateTrial): PairFigures => ({
  relayCpuPerPacketUs: t.figures.relayCpuPerPacketUs,
  machineCpuPerPacketUs: t.figures.machineCpuPerPacketUs,
  p50Us: t.figures.latencyUs.p50,
  p99Us: t.figures.latencyUs.p99,
  deliveredPps: t.deliveredPps,
});

/** Pairs of one phase, candidate and baseline side by side. */
export function phasePairs(trials: readonly GateTrial[], phase: 'fixed' | 'high'): { candidate: PairFigures; baseline: PairFigures }[] {
  const at = trials.filter((t) => t.phase === phase);
  const pairs = [...new Set(at.map((t) => t.pair))];
  return pairs.flatMap((n) => {
    const c = at.find((t) => t.pair === n && t.side === 'candidate');
    const b = at.find((t) => t.pair === n && t.side === 'baseline');
    return c && b ? [{ candidate: figuresOf(c), baseline: figuresOf(b) }] : [];
  });
}

/** A speed regression must reproduce: one found with every correctness check passing is measured again. */
export function needsConfirmation(checks: readonly MetricCheck[]): boolean {
  return checks.some((c) => c.kind === 'speed' && !c.pass) && checks.every((c) => c.kind !== 'correctness' || c.pass);
}

/**
 * The verdict of a run with a confirmation round. Correctness is judged over every trial of both
 * rounds (`all`); a speed metric regresses only when both rounds say so, since a shared VM's noise can
 * push one round past a threshold but rarely two in a row, while a real regression (the gate's
 * negative control) fails both. Pure.
 */
export function confirmChecks(first: readonly MetricCheck[], second: readonly MetricCheck[], all: readonly MetricCheck[]): MetricCheck[] {
  return all.map((c, i) => {
    if (c.kind !== 'speed') return c;
    const a = first[i]!;
    const b = second[i]!;
    if (a.pass) return a;
    return { ...b, pass: b.pass, message: `${b.message}; first round: ${a.message}${b.pass ? ' (did not reproduce)' : ' (reproduced)'}` };
  });
}

/** Every check of a finished run. Pure. */
export function decide(trials: readonly GateTrial[], s: { maxLossPct: number; pairs: number; widenPct: number; metrics?: readonly MetricSpec[] }): MetricCheck[] {
  const cand = trials.filter((t) => t.side === 'candidate');
  const bad = cand.reduce((n, t) => n + t.figures.duplicates + t.figures.corrupt + t.figures.foreign, 0);
  const loss = median(cand.filter((t) => t.phase === 'fixed').map((t) => t.figures.lossPct));
  const checks: MetricCheck[] = [
    {
      metric: 'candidate duplicates, corrupt and foreign packets', kind: 'correctness', pass: bad === 0 && cand.length > 0, value: bad, limit: 0,
      message: cand.length === 0 ? 'the candidate was not measured' : bad === 0 ? `none in ${cand.length} trials` : `${bad} in ${cand.length} trials: must be 0`,
    },
    {
      metric: 'candidate loss at the fixed rate (median)', kind: 'correctness', pass: loss !== null && loss <= s.maxLossPct, value: loss, limit: s.maxLossPct,
      message: loss === null ? 'no trial at the fixed rate' : `${loss.toFixed(3)} % (limit ${s.maxLossPct} %)`,
    },
  ];
  // At least half the pairs must give a value, else the gate cannot decide (a failure, never a pass).
  const minPairs = Math.max(2, Math.ceil(s.pairs / 2));
  for (const m of s.metrics ?? METRICS) checks.push(speedCheck(m, pairedRatios(phasePairs(trials, m.rate), m.key), s.widenPct, minPairs));
  return checks;
}

/** Gate settings that differ from the defaults (each can change what passes): announced in the output. */
export function nonDefaults(s: Settings): string[] {
  const d = normalizeSettings('gate', {}, '/');
  const keys: [keyof Settings, string][] = [
    ['maxLossPct', 'max-loss'], ['pairs', 'pairs'], ['fixedRatePps', 'fixed-rate'], ['highRatePps', 'high-rate'],
    ['trialSeconds', 'trial-seconds'], ['streams', 'streams'], ['workers', 'workers'], ['size', 'size'], ['prime', 'no-prime'],
  ];
  return keys.filter(([k]) => s[k] !== d[k]).map(([k, flag]) => `--${flag} ${String(s[k])} (default ${String(d[k])})`);
}

/** `--update-baseline`: results/baseline.json names this checkout's HEAD. */
async function writeBaseline(s: Settings, root: string, baselineFile: string): Promise<number> {
  const head = gitHead(root);
  if (!head.commit) throw new Error('gate --update-baseline: no git HEAD here');
  if (head.dirty) process.stderr.write('gate: warning: the working tree has uncommitted changes; the baseline names HEAD, not them\n');
  const file: BaselineFile = { schema: BASELINE_SCHEMA, commit: head.commit, recordedAt: new Date().toISOString(), note: 'the regression gate builds this commit and runs it beside the working tree (tools/gate.sh)' };
  await mkdir(s.outDir, { recursive: true });
  await writeFile(baselineFile, JSON.stringify(file, null, 2) + '\n');
  process.stdout.write(`gate: ${baselineFile} now names ${head.commit}\n`);
  return 0;
}

/** The baseline build and the lab must be there; a missing one is exit 2 (the gate cannot decide). */
async function preflight(s: Settings, baselineFile: string, injected: OpenBed | undefined): Promise<{ openBed: OpenBed; baselineBin: string } | number> {
  if (!s.baselineBin) {
    process.stderr.write(`bench gate: --baseline-bin is required: run ./tools/gate.sh, which builds the commit named in ${baselineFile} and passes its bin/mcr.js\n`);
    return 2;
  }
  if (!existsSync(s.baselineBin)) {
    process.stderr.write(`bench gate: --baseline-bin ${s.baselineBin} does not exist\n`);
    return 2;
  }
  const loaded: BedLoader = injected ? { openBed: injected } : await loadBed();
  if ('unavailable' in loaded) {
    process.stderr.write(`bench gate: the lab is not available: ${loaded.unavailable}\n`);
    return 2;
  }
  return { openBed: loaded.openBed, baselineBin: s.baselineBin };
}

/** The run's record before any trial: settings, limits, both sides. */
function newGateRun(s: Settings, environment: { gitCommit: string | null; gitDirty: boolean | null }, candidateBin: string, baselineBin: string, widenPct: number, relay: GateRelay): GateRun {
  return {
    relay,
    settings: {
      streams: s.streams, workers: s.workers, trialSeconds: s.trialSeconds, pairs: s.pairs, fixedRatePps: s.fixedRatePps, highRatePps: s.highRatePps,
      maxLossPct: s.maxLossPct, consistency: CONSISTENCY,
      metrics: metricsFor(relay).map((m) => ({ key: m.key, label: m.label, direction: m.direction, thresholdPct: m.thresholdPct, limit: ratioLimit(m, widenPct), rate: m.rate, why: m.why })),
      toleranceWidenedPct: s.tolerancePct,
    },
    baseline: { commit: s.baselineCommit, bin: baselineBin },
    candidate: s.candidateBin ? { commit: null, dirty: null, bin: candidateBin } : { commit: environment.gitCommit, dirty: environment.gitDirty, bin: candidateBin },
    injection: null,
    trials: [],
    checks: [],
    pass: false,
  };
}

/** Everything about this run that changes what passes, said before it starts and again with the verdict. */
function banners(s: Settings): string[] {
  const out: string[] = [];
  if (s.tolerancePct !== null && s.tolerancePct > 0) out.push(`WIDENED: --tolerance ${s.tolerancePct} adds ${s.tolerancePct} points to every threshold (recorded in the results file)`);
  for (const d of nonDefaults(s)) out.push(`NON-DEFAULT: ${d}`);
  if (s.candidateBin) out.push(`CANDIDATE REPLACED: --candidate-bin ${s.candidateBin} runs instead of this working tree's mcr`);
  if (s.injectRegressionPct !== null) {
    const what = s.relays[0] === 'mcr-tc' ? "machine CPU per packet more in its tc program" : 'relay CPU per packet more';
    out.push(`NEGATIVE CONTROL: --inject-regression ${s.injectRegressionPct}: the candidate burns ${s.injectRegressionPct} % of the baseline's ${what}; this run must FAIL`);
  }
  return out;
}

type RunTrial = (bed: Bed, side: GateTrial['side'], phase: GateTrial['phase'], pair: number, rate: number, round?: 2) => Promise<GateTrial>;

/** One trial on one bed, recorded in the run and reported on stderr. */
function trialRunner(s: Settings, gate: GateRun): RunTrial {
  return async (bed, side, phase, pair, rate, round) => {
    const figures = pickFigures(await bed.trial({ rate, durationSec: s.trialSeconds, size: s.size, prime: s.prime }));
    const t: GateTrial = { side, phase, pair, ...(round ? { round } : {}), targetPps: rate, figures, deliveredPps: deliveredPps(figures) };
    gate.trials.push(t);
    const f = t.figures;
    process.stderr.write(
      `gate: ${round ? 'confirm ' : ''}${phase} #${pair} ${side.padEnd(9)} @ ${kpps(rate)}: delivered ${kpps(t.deliveredPps)}, loss ${f.lossPct.toFixed(3)} %, ` +
        `relay CPU ${f.relayCpuPerPacketUs?.toFixed(2) ?? '-'} us/pkt, machine ${f.machineCpuPerPacketUs.toFixed(2)} us/pkt, p50 ${f.latencyUs.p50 ?? '-'} us, p99 ${f.latencyUs.p99 ?? '-'} us\n`,
    );
    return t;
  };
}

/** --inject-regression: the baseline's relay CPU per packet sizes the candidate's injected work. */
async function calibrate(baseline: Bed, trial: RunTrial, s: Settings, regressionPct: number): Promise<NonNullable<GateRun['injection']>> {
  const cal: number[] = [];
  for (let i = 0; i < CALIBRATION_TRIALS; i++) {
    const v = (await trial(baseline, 'baseline', 'calibrate', i, s.fixedRatePps)).figures.relayCpuPerPacketUs;
    if (v !== null) cal.push(v);
  }
  const us = median(cal);
  if (us === null) throw new Error('calibration: the baseline reported no relay CPU per packet');
  const injection = { regressionPct, baselineRelayCpuPerPacketUs: us, injectedWorkNanos: injectedNanos(regressionPct, us) };
  process.stderr.write(`gate: baseline relay CPU ${us.toFixed(2)} us/packet: the candidate runs with testOnly.injectedWorkNanos ${injection.injectedWorkNanos}\n`);
  return injection;
}

/**
 * --inject-regression on the tc engine: its program's extra cost is a number of empty loop iterations,
 * priced here on this machine: the baseline's machine CPU per packet, then the candidate's with
 * TC_PROBE_LOOPS iterations (a bed of its own, closed after), give the cost of one.
 */
async function calibrateTc(baseline: Bed, trial: RunTrial, s: Settings, regressionPct: number, probeBed: (loops: number) => Promise<Bed>): Promise<NonNullable<GateRun['injection']>> {
  const machine = async (bed: Bed, side: GateTrial['side'], n: number): Promise<number | null> => {
    const v: number[] = [];
    for (let i = 0; i < n; i++) v.push((await trial(bed, side, 'calibrate', i, s.fixedRatePps)).figures.machineCpuPerPacketUs);
    return median(v);
  };
  const base = await machine(baseline, 'baseline', CALIBRATION_TRIALS);
  const probe = await probeBed(TC_PROBE_LOOPS);
  let probed: number | null;
  try {
    probed = await machine(probe, 'candidate', TC_PROBE_TRIALS);
  } finally {
    await probe.close();
    untrackBed(probe);
  }
  if (base === null || probed === null || !(probed > base)) {
    throw new Error(`calibration: ${TC_PROBE_LOOPS} loop iterations per packet did not show in the machine CPU (baseline ${base} us/packet, with them ${probed} us/packet)`);
  }
  const nsPerLoop = ((probed - base) * 1000) / TC_PROBE_LOOPS;
  const loops = Math.round(((regressionPct / 100) * base * 1000) / nsPerLoop);
  if (!(loops >= 1 && loops <= MAX_TC_INJECTED_LOOPS)) {
    throw new RangeError(`--inject-regression ${regressionPct}: ${loops} loop iterations per packet is outside the relay's 1..${MAX_TC_INJECTED_LOOPS}`);
  }
  process.stderr.write(`gate: baseline machine CPU ${base.toFixed(2)} us/packet, one loop iteration ${nsPerLoop.toFixed(2)} ns: the candidate runs with testOnly.tcInjectedCostLoops ${loops}\n`);
  return { regressionPct, baselineMachineCpuPerPacketUs: base, nsPerLoop, tcInjectedCostLoops: loops };
}

/** The pairs at the fixed rate, then at the high rate, in ABBA order. */
async function runPairs(candidate: Bed, baseline: Bed, trial: RunTrial, s: Settings, round?: 2): Promise<void> {
  for (const [phase, rate] of [['fixed', s.fixedRatePps], ['high', s.highRatePps]] as const) {
    for (let pair = 0; pair < s.pairs; pair++) {
      // ABBA: who goes first alternates, so a drift within a pair favours neither.
      const order = pair % 2 === 0 ? (['candidate', 'baseline'] as const) : (['baseline', 'candidate'] as const);
      for (const side of order) await trial(side === 'candidate' ? candidate : baseline, side, phase, pair, rate, round);
    }
  }
}

export async function runGate(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const root = workspaceRoot(cwd);
  const baselineFile = join(s.outDir, 'baseline.json');
  if (s.updateBaseline) return writeBaseline(s, root, baselineFile);
  const relay = s.relays[0] as GateRelay;
  if (s.relays.length !== 1 || !GATE_RELAYS.includes(relay)) {
    process.stderr.write(`bench gate: --relays takes one of ${GATE_RELAYS.join(', ')}, received ${s.relays.join(',')}\n`);
    return 2;
  }
  const loaded = await preflight(s, baselineFile, injected);
  if (typeof loaded === 'number') return loaded;
  const { baselineBin } = loaded;
  const widenPct = s.tolerancePct ?? 0;
  const candidateBin = s.candidateBin ?? join(root, 'packages', 'relay', 'bin', 'mcr.js');
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const gate = newGateRun(s, result.environment, candidateBin, baselineBin, widenPct, relay);
  result.gate = gate;
  const said = banners(s);
  for (const b of said) process.stderr.write(`gate: ${b}\n`);
  process.stderr.write(
    `gate: ${relay}: candidate ${gate.candidate.commit ?? '?'}${gate.candidate.dirty ? ' (dirty)' : ''} vs baseline ${s.baselineCommit ?? '?'}; ${s.streams} streams, ` +
      `${s.pairs} pairs at ${kpps(s.fixedRatePps)} (CPU, latency) and at ${kpps(s.highRatePps)} (throughput), ${s.trialSeconds} s trials\n`,
  );

  const beds: Bed[] = [];
  const open = async (side: 'candidate' | 'baseline', extra: Partial<BedOptions>): Promise<Bed> => {
    const bed = await loaded.openBed({ relay, streams: s.streams, workers: s.workers, ...extra });
    trackBed(bed);
    beds.push(bed);
    process.stderr.write(`gate: ${side} bed up (${bed.lab.topo.prefix})\n`);
    return bed;
  };
  const trial = trialRunner(s, gate);

  let code: number;
  try {
    const baseline = await open('baseline', { mcrBin: baselineBin });
    const withLoops = (loops: number): Partial<BedOptions> => ({ mcrBin: candidateBin, mcrTestOnly: { tcInjectedCostLoops: loops } });
    if (s.injectRegressionPct !== null) {
      gate.injection =
        relay === 'mcr-tc'
          ? await calibrateTc(baseline, trial, s, s.injectRegressionPct, async (loops) => {
              const bed = await open('candidate', withLoops(loops));
              beds.splice(beds.indexOf(bed), 1);
              return bed;
            })
          : await calibrate(baseline, trial, s, s.injectRegressionPct);
    }
    const i = gate.injection;
    const candidate = await open(
      'candidate',
      i === null ? { mcrBin: candidateBin } : 'tcInjectedCostLoops' in i ? withLoops(i.tcInjectedCostLoops) : { mcrBin: candidateBin, mcrTestOnly: { injectedWorkNanos: i.injectedWorkNanos } },
    );
    // One uncounted trial per bed first: the first trial after a relay starts pays for its warm-up
    // (page faults, ring setup, IGMP), which would otherwise land in pair 0 only.
    if (!gate.injection) await trial(baseline, 'baseline', 'warmup', 0, s.fixedRatePps);
    await trial(candidate, 'candidate', 'warmup', 0, s.fixedRatePps);
    await runPairs(candidate, baseline, trial, s);
    const judge = { maxLossPct: s.maxLossPct, pairs: s.pairs, widenPct, metrics: metricsFor(relay) };
    gate.checks = decide(gate.trials, judge);
    if (needsConfirmation(gate.checks)) {
      const failed = gate.checks.filter((c) => c.kind === 'speed' && !c.pass).map((c) => c.metric);
      process.stderr.write(`gate: ${failed.join(', ')} beyond the threshold: measuring again (a regression stands only if it reproduces)\n`);
      gate.firstRound = gate.checks;
      await runPairs(candidate, baseline, trial, s, 2);
      const second = decide(gate.trials.filter((t) => t.round === 2), judge);
      gate.checks = confirmChecks(gate.firstRound, second, decide(gate.trials, judge));
    }
    gate.pass = gate.checks.every((c) => c.pass);
    code = gate.pass ? 0 : 1;
  } catch (err) {
    gate.error = (err as Error).message;
    gate.pass = false;
    result.notes.push(`the gate could not decide: ${gate.error.split('\n')[0]}`);
    code = 2;
  } finally {
    for (const bed of beds) {
      await bed.close().catch((err: unknown) => result.notes.push(`closing a test bed failed: ${(err as Error).message}`));
      untrackBed(bed);
    }
  }
  finishResult(result, clock);
  await publish(result, s);
  const head = `(${relay}: candidate ${gate.candidate.commit?.slice(0, 12) ?? '?'}${gate.candidate.dirty ? '+dirty' : ''} vs baseline ${s.baselineCommit?.slice(0, 12) ?? '?'}, ${s.pairs} pairs, ${result.durationSec.toFixed(0)} s)`;
  const out = [...said.map((b) => `gate: ${b}`), code === 2 ? `gate: ERROR: could not decide: ${gate.error}` : renderVerdict({ pass: gate.pass, checks: gate.checks }, head).trimEnd()];
  process.stdout.write('\n' + out.join('\n') + '\n');
  return code;
}
