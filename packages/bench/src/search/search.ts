// NDR/PDR rate search, interleaved rung by rung over relays (field notes: drift hits all alike).
//
// Each relay keeps two brackets, one per criterion: PDR (loss <= max-loss, no duplicate) and NDR
// (zero loss, no duplicate); `lo` = highest rate that passed, `hi` = lowest that failed. Every
// trial updates both. The next rate serves the PDR bracket until it is done, then the NDR one:
// the first trial runs at the start rate (geometric middle of floor and ceiling); without a
// failure the rate climbs by `step` (to the ceiling), without a pass it descends by `step` (to the
// floor), and once bracketed it bisects (geometric mean). A bracket is done within `resolution`,
// at the ceiling, at the floor, or when the sender is saturated: a passing trial was sender-bound
// and asking for more no longer got more (the figure is then a lower bound, never the relay's
// limit). In every rung each relay still
// searching runs one trial; the order rotates per rung. Rates are the rate the relay was really
// offered, min(offered, achieved).
import { rateStats, type RateStats } from './spread.js';
import { verdict, type TrialFigures, type Verdict } from './verdict.js';

export interface SearchConfig {
  floorPps: number;
  ceilingPps: number;
  rungs: number;
  /** Done when hi / lo <= resolution, e.g. 1.1. */
  resolution: number;
  maxLossPct: number;
  senderBoundRatio: number;
  /** Multiplier while climbing or descending before the first bracket; default 3. */
  step?: number;
  /** First rate; default sqrt(floor x ceiling). */
  startPps?: number;
}

export type StopReason = 'resolved' | 'ceiling' | 'floor' | 'sender-bound' | 'rungs' | 'error' | 'unavailable';

export interface TrialRecord extends TrialFigures {
  /** Search rungs count from 1; confirmation trials (repeats at a figure's rate) carry rung 0. */
  rung: number;
  /** The rate the search asked for. */
  targetPps: number;
  verdict: Verdict;
}

export interface RateFigure {
  /** The rate (min of offered and achieved). With `senderBound` or `atCeiling` it is a lower bound. */
  pps: number;
  /** The rate the search asked for in the trial that set the figure (its confirmation trials ask for it too). */
  targetPps?: number;
  offeredPps: number;
  achievedPps: number;
  senderBound: boolean;
  atCeiling: boolean;
  lossPct: number;
  duplicates: number;
  reordered: number;
  p99Us: number | null;
  relayCpuPerPacketUs: number | null;
  machineCpuPerPacketUs: number | null;
  /** Every trial at this rate (search and confirmation): medians with min-max. Tables report these. */
  atRate?: RateStats;
}

export interface RelaySearch<R extends string = string> {
  relay: R;
  ndr: RateFigure | null;
  pdr: RateFigure | null;
  /** Why the PDR search stopped (the headline figure). */
  stop: StopReason;
  /** Why the NDR search stopped. */
  ndrStop: StopReason;
  /** Duplicates (plus corrupt and foreign) summed over every trial: must be 0. */
  duplicatesTotal: number;
  /** Median relay CPU per delivered packet over the trials at the PDR rate (null: kernel, or no PDR). */
  relayCpuPerPacketUs?: number | null;
  /** Median whole-machine CPU per delivered packet over the trials at the PDR rate (null: no PDR). */
  machineCpuPerPacketUs?: number | null;
  /** Trials per rung (search rungs 1.., confirmation rung 0). */
  rungs?: { rung: number; targetPps: number; trials: number }[];
  trials: TrialRecord[];
  /** Why the search failed (a bed could not open, a trial failed, the relay delivered nothing). */
  error?: string;
  /** Why the relay cannot run on this machine (it was not tried; stop is 'unavailable'). */
  unavailable?: string;
}

/** The row of a relay that cannot run on this machine. */
export function unavailableSearch<R extends string>(relay: R, reason: string): RelaySearch<R> {
  return { relay, ndr: null, pdr: null, stop: 'unavailable', ndrStop: 'unavailable', duplicatesTotal: 0, trials: [], unavailable: reason };
}

export interface ProgressEvent<R extends string = string> {
  rung: number;
  rungs: number;
  relay: R;
  targetPps: number;
  record?: TrialRecord;
  phase: 'start' | 'done' | 'error';
  error?: string;
}

export type TrialFn<R extends string> = (relay: R, ratePps: number, rung: number) => Promise<TrialFigures>;

/** One criterion's bracket: `lo` highest passing rate, `hi` lowest failing rate. */
interface Bracket {
  lo: number | null;
  hi: number | null;
  done: StopReason | null;
  /** Highest rate achieved by a sender-bound passing trial. */
  senderMax: number | null;
}

interface State<R extends string> {
  out: RelaySearch<R>;
  next: number;
  pdr: Bracket;
  ndr: Bracket;
  done: boolean;
}

const roundRate = (pps: number): number => (pps >= 10_000 ? Math.round(pps / 1000) * 1000 : Math.max(1, Math.round(pps / 100) * 100));

function figure(rec: TrialRecord, ceiling: number): RateFigure {
  return {
    pps: rec.verdict.effectivePps,
    targetPps: rec.targetPps,
    offeredPps: rec.offeredPps,
    achievedPps: rec.achievedPps,
    senderBound: rec.verdict.senderBound,
    atCeiling: rec.targetPps >= ceiling,
    lossPct: rec.lossPct,
    duplicates: rec.duplicates,
    reordered: rec.reordered,
    p99Us: rec.latencyUs.p99,
    relayCpuPerPacketUs: rec.relayCpuPerPacketUs,
    machineCpuPerPacketUs: rec.machineCpuPerPacketUs,
  };
}

function update(b: Bracket, pass: boolean, rec: TrialRecord, cfg: SearchConfig): void {
  if (b.done) return;
  const r = rec.targetPps;
  if (pass) {
    const eff = rec.verdict.effectivePps;
    b.lo = Math.max(b.lo ?? 0, eff);
    if (rec.verdict.senderBound) {
      // The sender fell short. Climb on while asking for more still gets more (a short fall can be
      // contention); stop once it no longer does: the sender is saturated, not the relay.
      if (b.senderMax !== null && eff <= b.senderMax * 1.03) b.done = 'sender-bound';
      else if (r >= cfg.ceilingPps) b.done = 'sender-bound';
      b.senderMax = Math.max(b.senderMax ?? 0, eff);
    } else if (r >= cfg.ceilingPps) b.done = 'ceiling';
  } else {
    // A failure counts at the rate the relay was really offered (a sender-bound trial offered less).
    b.hi = Math.min(b.hi ?? Infinity, r, rec.verdict.effectivePps);
    if (r <= cfg.floorPps) b.done = 'floor';
  }
  // Bracketed within the resolution (or inverted by noise: a pass above a failure).
  if (!b.done && b.lo !== null && b.hi !== null && b.hi / b.lo <= cfg.resolution) b.done = 'resolved';
}

function proposal(b: Bracket, cfg: SearchConfig): number {
  const step = cfg.step ?? 3;
  if (b.hi === null) return Math.min(cfg.ceilingPps, b.lo! * step);
  if (b.lo === null) return Math.max(cfg.floorPps, b.hi / step);
  return Math.sqrt(b.lo * b.hi);
}

/**
 * Folds one trial into a relay's state and picks its next rate: the PDR bracket first, then the
 * NDR bracket (which the PDR trials have already narrowed). Exported for tests.
 */
export function advance<R extends string>(s: State<R>, rec: TrialRecord, cfg: SearchConfig): void {
  const v = rec.verdict;
  s.out.trials.push(rec);
  s.out.duplicatesTotal += rec.duplicates + rec.corrupt + rec.foreign;
  if (v.ndrPass && (s.out.ndr === null || v.effectivePps > s.out.ndr.pps)) s.out.ndr = figure(rec, cfg.ceilingPps);
  if (v.pdrPass && (s.out.pdr === null || v.effectivePps > s.out.pdr.pps)) s.out.pdr = figure(rec, cfg.ceilingPps);
  update(s.pdr, v.pdrPass, rec, cfg);
  update(s.ndr, v.ndrPass, rec, cfg);
  const tried = new Set(s.out.trials.map((t) => t.targetPps));
  for (const b of [s.pdr, s.ndr]) {
    if (b.done) continue;
    const next = roundRate(proposal(b, cfg));
    if (tried.has(next)) {
      b.done = 'resolved';
      continue;
    }
    s.next = next;
    break;
  }
  s.out.stop = s.pdr.done ?? 'rungs';
  s.out.ndrStop = s.ndr.done ?? 'rungs';
  if (s.pdr.done && s.ndr.done) s.done = true;
}

export async function searchRates<R extends string>(
  relays: readonly R[],
  trial: TrialFn<R>,
  cfg: SearchConfig,
  onProgress?: (e: ProgressEvent<R>) => void,
): Promise<RelaySearch<R>[]> {
  const start = roundRate(cfg.startPps ?? Math.sqrt(cfg.floorPps * cfg.ceilingPps));
  const states: State<R>[] = relays.map((relay) => ({
    out: { relay, ndr: null, pdr: null, stop: 'rungs', ndrStop: 'rungs', duplicatesTotal: 0, trials: [] },
    next: start,
    pdr: { lo: null, hi: null, done: null, senderMax: null },
    ndr: { lo: null, hi: null, done: null, senderMax: null },
    done: false,
  }));
  for (let rung = 1; rung <= cfg.rungs; rung++) {
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const shift = (rung - 1) % active.length;
    const order = [...active.slice(shift), ...active.slice(0, shift)];
    for (const s of order) {
      const targetPps = s.next;
      onProgress?.({ rung, rungs: cfg.rungs, relay: s.out.relay, targetPps, phase: 'start' });
      let figures: TrialFigures;
      try {
        figures = await trial(s.out.relay, targetPps, rung);
      } catch (err) {
        s.out.error = (err as Error).message;
        s.out.stop = s.out.ndrStop = 'error';
        s.done = true;
        onProgress?.({ rung, rungs: cfg.rungs, relay: s.out.relay, targetPps, phase: 'error', error: s.out.error });
        continue;
      }
      const rec: TrialRecord = {
        ...pickFigures(figures),
        rung,
        targetPps,
        verdict: verdict(figures, cfg.maxLossPct, cfg.senderBoundRatio),
      };
      advance(s, rec, cfg);
      onProgress?.({ rung, rungs: cfg.rungs, relay: s.out.relay, targetPps, phase: 'done', record: rec });
    }
  }
  return states.map((s) => s.out);
}

/** Copies exactly the searched fields (drops perStream and anything else a real TrialResult carries). */
export function pickFigures(t: TrialFigures): TrialFigures {
  return {
    offeredPps: t.offeredPps,
    achievedPps: t.achievedPps,
    senderBound: t.senderBound,
    sent: t.sent,
    unique: t.unique,
    duplicates: t.duplicates,
    missing: t.missing,
    reordered: t.reordered,
    corrupt: t.corrupt,
    foreign: t.foreign,
    lossPct: t.lossPct,
    latencyUs: { p50: t.latencyUs.p50 ?? null, p99: t.latencyUs.p99 ?? null, p999: t.latencyUs.p999 ?? null, max: t.latencyUs.max ?? null },
    relayCpuSeconds: t.relayCpuSeconds,
    relayCpuPerPacketUs: t.relayCpuPerPacketUs,
    machineCpuSeconds: t.machineCpuSeconds,
    machineCpuPerPacketUs: t.machineCpuPerPacketUs,
  };
}

/**
 * Confirmation (figures with their spread): after the searches, repeat trials at each relay's NDR
 * and PDR rates until each rate has `repeats` trials, interleaved over relays (rotating order), then
 * attach the medians with min-max (`atRate`) and the relay's CPU figures at the PDR rate.
 */
export async function confirmRates<R extends string>(
  searched: RelaySearch<R>[],
  trial: TrialFn<R>,
  cfg: SearchConfig,
  repeats: number,
  onProgress?: (e: ProgressEvent<R>) => void,
): Promise<void> {
  const want = (s: RelaySearch<R>): number[] => [...new Set([s.ndr, s.pdr].filter((f): f is RateFigure => f !== null).map((f) => targetOf(s, f)))];
  for (let round = 0; ; round++) {
    const jobs = searched.flatMap((s) =>
      s.error ? [] : want(s).filter((rate) => s.trials.filter((t) => t.targetPps === rate).length < repeats).map((rate) => ({ s, rate })),
    );
    if (jobs.length === 0) break;
    const shift = round % jobs.length;
    for (const { s, rate } of [...jobs.slice(shift), ...jobs.slice(0, shift)]) {
      onProgress?.({ rung: 0, rungs: cfg.rungs, relay: s.relay, targetPps: rate, phase: 'start' });
      try {
        const figures = await trial(s.relay, rate, 0);
        const rec: TrialRecord = { ...pickFigures(figures), rung: 0, targetPps: rate, verdict: verdict(figures, cfg.maxLossPct, cfg.senderBoundRatio) };
        s.trials.push(rec);
        s.duplicatesTotal += rec.duplicates + rec.corrupt + rec.foreign;
        onProgress?.({ rung: 0, rungs: cfg.rungs, relay: s.relay, targetPps: rate, phase: 'done', record: rec });
      } catch (err) {
        s.error = (err as Error).message;
        onProgress?.({ rung: 0, rungs: cfg.rungs, relay: s.relay, targetPps: rate, phase: 'error', error: s.error });
      }
    }
  }
  for (const s of searched) summariseRates(s);
}

/** The search's rate for a figure: the target of the trial that set it. */
const targetOf = (_s: RelaySearch, f: RateFigure): number => f.targetPps ?? f.offeredPps;

/** Attaches atRate to the NDR and PDR figures, the relay's CPU figures at the PDR rate, and the trials per rung. */
export function summariseRates(s: RelaySearch): void {
  for (const [f, criterion] of [[s.ndr, 'ndr'], [s.pdr, 'pdr']] as const) {
    if (!f) continue;
    const stats = rateStats(s.trials, targetOf(s, f), criterion);
    if (stats) f.atRate = stats;
  }
  s.relayCpuPerPacketUs = s.pdr?.atRate?.relayCpuPerPacketUs?.median ?? s.pdr?.relayCpuPerPacketUs ?? null;
  s.machineCpuPerPacketUs = s.pdr?.atRate?.machineCpuPerPacketUs?.median ?? s.pdr?.machineCpuPerPacketUs ?? null;
  const byRung = new Map<number, { rung: number; targetPps: number; trials: number }>();
  for (const t of s.trials) {
    const key = t.rung === 0 ? -t.targetPps : t.rung;
    const e = byRung.get(key) ?? { rung: t.rung, targetPps: t.targetPps, trials: 0 };
    e.trials++;
    byRung.set(key, e);
  }
  s.rungs = [...byRung.values()];
}

/** How a figure reads in a table: `123.0 kpps`, `>= 300.0 kpps (sender-bound)`, `>= 600.0 kpps (ceiling)`. */
export function describeFigure(f: RateFigure | null, floorPps?: number): string {
  if (f === null) return floorPps === undefined ? 'none' : `< ${kpps(floorPps)}`;
  if (f.senderBound) return `>= ${kpps(f.pps)} (sender-bound)`;
  if (f.atCeiling) return `>= ${kpps(f.pps)} (ceiling)`;
  return kpps(f.pps);
}

export const kpps = (pps: number): string => `${(pps / 1000).toFixed(1)} kpps`;
