// Trial records and cells for bench:latency's pure parts: built from figures, as a lab trial reports them.
import { cellStats, type LatencyCell, type LatencySubject, type RungId } from '../../src/latency/figures.js';
import type { TrialRecord } from '../../src/search/search.js';
import { verdict } from '../../src/search/verdict.js';

/** A trial record with the figures that matter here; the rest as a clean trial has them. */
export function trial(over: { p50?: number; p99?: number; p999?: number; relayCpu?: number | null; machineCpu?: number; lossPct?: number; achieved?: number; rate?: number; dups?: number; unique?: number } = {}): TrialRecord {
  const rate = over.rate ?? 20_000;
  const achieved = over.achieved ?? rate;
  const figures = {
    offeredPps: rate,
    achievedPps: achieved,
    senderBound: false,
    sent: achieved,
    unique: over.unique ?? achieved,
    duplicates: over.dups ?? 0,
    missing: over.lossPct ? Math.round((achieved * over.lossPct) / 100) : 0,
    reordered: 0,
    corrupt: 0,
    foreign: 0,
    lossPct: over.lossPct ?? 0,
    latencyUs: { p50: over.p50 ?? 20, p99: over.p99 ?? 60, p999: over.p999 ?? 100, max: 500 },
    relayCpuSeconds: over.relayCpu === null ? null : 0.1,
    relayCpuPerPacketUs: over.relayCpu === undefined ? 5 : over.relayCpu,
    machineCpuSeconds: 0.3,
    machineCpuPerPacketUs: over.machineCpu ?? 15,
  };
  return { ...figures, rung: 1, targetPps: rate, verdict: verdict(figures, 0.1, 0.97) };
}

export const cell = (rung: RungId, subject: LatencySubject, trials: TrialRecord[]): LatencyCell => ({ rung, subject, targetPps: trials[0]?.targetPps ?? 0, trials, stats: cellStats(trials) });
