// Speed ratios between relays measured in the same run (field notes: absolute numbers move run to run).
import type { RateFigure, RelaySearch } from './search.js';

export interface Ratio {
  /** e.g. 'mcr/socat'. */
  name: string;
  metric: 'pdr' | 'ndr';
  value: number | null;
  /**
   * 'exact' when both sides are measured; 'lower-bound' when only the numerator is a lower bound
   * (sender-bound or at the ceiling); 'upper-bound' when only the denominator is;
   * 'unknown' when both are, or either side has no figure.
   */
  kind: 'exact' | 'lower-bound' | 'upper-bound' | 'unknown';
}

const bounded = (f: RateFigure): boolean => f.senderBound || f.atCeiling;

export function ratio(name: string, metric: 'pdr' | 'ndr', num: RateFigure | null, den: RateFigure | null): Ratio {
  if (!num || !den || den.pps <= 0) return { name, metric, value: null, kind: 'unknown' };
  const value = num.pps / den.pps;
  const nb = bounded(num);
  const db = bounded(den);
  const kind = nb && db ? 'unknown' : nb ? 'lower-bound' : db ? 'upper-bound' : 'exact';
  return { name, metric, value, kind };
}

/** mcr/socat and mcr/kernel for PDR and NDR, for the relays present. */
export function mcrRatios(searches: readonly RelaySearch[]): Ratio[] {
  const by = new Map(searches.map((s) => [s.relay, s]));
  const mcr = by.get('mcr');
  if (!mcr) return [];
  const out: Ratio[] = [];
  for (const other of ['socat', 'kernel']) {
    const o = by.get(other);
    if (!o) continue;
    out.push(ratio(`mcr/${other}`, 'pdr', mcr.pdr, o.pdr));
    out.push(ratio(`mcr/${other}`, 'ndr', mcr.ndr, o.ndr));
  }
  return out;
}

export function describeRatio(r: Ratio): string {
  if (r.value === null) return 'n/a';
  const v = `${r.value.toFixed(2)}x`;
  return r.kind === 'exact' ? v : r.kind === 'lower-bound' ? `>= ${v}` : r.kind === 'upper-bound' ? `<= ${v}` : `~${v} (both bounded)`;
}
