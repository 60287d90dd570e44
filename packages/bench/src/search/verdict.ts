// What one trial says about a relay. Pure.
import type { TrialResult } from '../lab.js';

/** The fields of a TrialResult the search reads (a deterministic stand-in can supply just these). */
export type TrialFigures = Pick<
  TrialResult,
  | 'offeredPps' | 'achievedPps' | 'senderBound' | 'sent' | 'unique' | 'duplicates' | 'missing' | 'reordered'
  | 'corrupt' | 'foreign' | 'lossPct' | 'latencyUs' | 'relayCpuSeconds' | 'relayCpuPerPacketUs' | 'machineCpuSeconds'
  | 'machineCpuPerPacketUs'
>;

export interface Verdict {
  /** Achieved below senderBoundRatio x offered (or the lab said so): the sender, not the relay, set the rate. */
  senderBound: boolean;
  /** Duplicates, corrupt or foreign packets: a correctness failure at any rate. */
  incorrect: boolean;
  /** Zero loss and correct. */
  ndrPass: boolean;
  /** Loss <= maxLossPct and correct. */
  pdrPass: boolean;
  /** The rate the relay was really offered: min(offered, achieved). */
  effectivePps: number;
}

export function verdict(t: TrialFigures, maxLossPct: number, senderBoundRatio: number): Verdict {
  const senderBound = t.senderBound || t.achievedPps < senderBoundRatio * t.offeredPps;
  const incorrect = t.duplicates > 0 || t.corrupt > 0 || t.foreign > 0;
  const loss = Math.max(0, t.lossPct);
  return {
    senderBound,
    incorrect,
    ndrPass: !incorrect && t.missing <= 0 && loss === 0 && t.sent > 0,
    pdrPass: !incorrect && loss <= maxLossPct && t.sent > 0,
    effectivePps: Math.min(t.offeredPps, t.achievedPps),
  };
}
