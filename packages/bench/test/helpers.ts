// A deterministic trial: a pure function of the offered rate (not a relay mock: it tests the search).
import type { TrialFigures } from '../src/search/verdict.js';

export interface Model {
  /** Loss-free up to here. */
  ndr: number;
  /** Loss grows linearly above ndr, reaching 0.1 % at pdr. */
  pdr: number;
  /** The sender cannot exceed this. */
  senderMax?: number;
  /** Duplicates per trial. */
  dups?: number;
}

export function modelTrial(m: Model, durationSec = 1): (rate: number) => TrialFigures {
  return (rate) => {
    const achieved = Math.min(rate, m.senderMax ?? Infinity);
    const lossPct = achieved <= m.ndr ? 0 : (0.1 * (achieved - m.ndr)) / (m.pdr - m.ndr);
    const sent = Math.round(achieved * durationSec);
    const missing = Math.round((sent * lossPct) / 100);
    return {
      offeredPps: rate,
      achievedPps: achieved,
      senderBound: achieved < 0.97 * rate,
      sent,
      unique: sent - missing,
      duplicates: m.dups ?? 0,
      missing,
      reordered: 0,
      corrupt: 0,
      foreign: 0,
      lossPct: sent ? (missing / sent) * 100 : 0,
      latencyUs: { p50: 20, p99: 80, p999: 120, max: 200 },
      relayCpuSeconds: 0.1,
      relayCpuPerPacketUs: 2.5,
      machineCpuSeconds: 0.3,
      machineCpuPerPacketUs: 7.5,
    };
  };
}
