// A figure with its spread: the median of the trials at one rate, with their min and max. Pure.
import type { TrialRecord } from './search.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Trials the figure comes from. */
  n: number;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** null when no value is given (e.g. relay CPU of the kernel relay). */
export function spread(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  return { median: median(xs)!, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Every figure of the trials run at one rate (the search's and the confirmation's). */
export interface RateStats {
  targetPps: number;
  trials: number;
  /** Trials that passed the criterion the rate was reported for (NDR: zero loss; PDR: loss within the threshold). */
  passes: number;
  lossPct: Spread;
  p50Us: Spread | null;
  p99Us: Spread | null;
  relayCpuPerPacketUs: Spread | null;
  machineCpuPerPacketUs: Spread | null;
}

export function rateStats(trials: readonly TrialRecord[], targetPps: number, criterion: 'ndr' | 'pdr'): RateStats | null {
  const at = trials.filter((t) => t.targetPps === targetPps);
  if (at.length === 0) return null;
  return {
    targetPps,
    trials: at.length,
    passes: at.filter((t) => (criterion === 'ndr' ? t.verdict.ndrPass : t.verdict.pdrPass)).length,
    lossPct: spread(at.map((t) => t.lossPct))!,
    p50Us: spread(at.map((t) => t.latencyUs.p50)),
    p99Us: spread(at.map((t) => t.latencyUs.p99)),
    relayCpuPerPacketUs: spread(at.map((t) => t.relayCpuPerPacketUs)),
    machineCpuPerPacketUs: spread(at.map((t) => t.machineCpuPerPacketUs)),
  };
}

/** `4.1 us (3.9-4.6)`: the median with min-max; `-` when absent. */
export function describeSpread(s: Spread | null | undefined, digits = 1, unit = ''): string {
  if (!s) return '-';
  const f = (v: number) => v.toFixed(digits);
  const u = unit ? ` ${unit}` : '';
  return s.n > 1 && s.min !== s.max ? `${f(s.median)}${u} (${f(s.min)}-${f(s.max)})` : `${f(s.median)}${u}`;
}
