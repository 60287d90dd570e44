// Speed ratios between relays measured in the same run (field notes: absolute numbers move run to run).
import { relayTitle } from '@mcr/mcr-lab';
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

/** The name of the ratio of every relay's NDR to the direct wire's: `socat/direct`, `kernel (tc)/direct`. */
export const directRatioName = (relay: string): string => `${relayTitle(relay)}/direct`;

/**
 * mcr, on each engine, against every other relay of the run (PDR and NDR: `mcr/socat`, `mcr/kernel
 * (tc)`, `mcr-tc/mcr`, ...), and every relay's NDR as a fraction of the direct wire's, the machine's own
 * ceiling. Relays that did not run have no ratio.
 */
export function mcrRatios(searches: readonly RelaySearch[]): Ratio[] {
  const measured = searches.filter((s) => s.unavailable === undefined);
  const by = new Map(measured.map((s) => [s.relay, s]));
  const out: Ratio[] = [];
  for (const name of ['mcr', 'mcr-tc']) {
    const subject = by.get(name);
    if (!subject) continue;
    for (const o of measured) {
      // mcr-tc against mcr, not the other way round: one ratio per pair.
      if (o.relay === name || o.relay === 'direct' || (name === 'mcr' && o.relay === 'mcr-tc')) continue;
      out.push(ratio(`${name}/${relayTitle(o.relay)}`, 'pdr', subject.pdr, o.pdr));
      out.push(ratio(`${name}/${relayTitle(o.relay)}`, 'ndr', subject.ndr, o.ndr));
    }
  }
  const direct = by.get('direct');
  if (direct) for (const o of measured) if (o.relay !== 'direct') out.push(ratio(directRatioName(o.relay), 'ndr', o.ndr, direct.ndr));
  return out;
}

export function describeRatio(r: Ratio): string {
  if (r.value === null) return 'n/a';
  const v = `${r.value.toFixed(2)}x`;
  return r.kind === 'exact' ? v : r.kind === 'lower-bound' ? `>= ${v}` : r.kind === 'upper-bound' ? `<= ${v}` : `~${v} (both bounded)`;
}
