// compare: the same traffic through mcr, socat and the in-kernel reference in one run: one bed each,
// opened together, trials interleaved (mcr, socat, kernel); one table. Thresholds hold for every relay.
// `kernel` is kernel multicast routing where the kernel has it, else the tc reference: the table says which.
import type { Bed, TrialResult } from '../bed/index.js';
import { isKernelRelay } from '@mcr/netns-lab';
import { relayTitle, type RelayName } from '../relays/index.js';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, trialRow, TRIAL_COLUMNS, type Row, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, trialOptions } from './common.js';
import { openBed } from '../bed/index.js';

export const COMPARE_RELAYS: readonly RelayName[] = ['mcr', 'socat', 'kernel'];

export async function compare(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  const beds: Bed[] = [];
  try {
    for (const relay of COMPARE_RELAYS) {
      o.onProgress(`compare: opening the ${relay} bed (${n} streams)`);
      beds.push(await openBed(bedOptions(o, n, relay)));
    }
    const rows: Row[] = [];
    const violations: Violation[] = [];
    const trials: Omit<TrialResult, 'perStream'>[] = [];
    let kernel: TrialResult | undefined;
    const results: TrialResult[] = [];
    for (const bed of beds) {
      o.onProgress(`compare: trial on ${bed.relay.label}`);
      const r = await bed.trial(trialOptions(o));
      results.push(r);
      if (isKernelRelay(bed.options.relay)) kernel = r;
      violations.push(...checkTrial(r, o, bed.relay.label));
      const totals = trialTotals(r);
      trials.push(totals);
    }
    for (const [i, r] of results.entries()) rows.push(trialRow(r, { relay: beds[i]!.relay.label }));
    const summary = [`${n} streams, ${o.rate} pps aggregate, ${o.count} packets per stream, ${o.size} B; one trial each, interleaved`];
    if (kernel) {
      for (const r of results) {
        if (r !== kernel) summary.push(`${r.relay}: p99 latency ${(r.latencyUs.p99 / Math.max(kernel.latencyUs.p99, 1e-9)).toFixed(1)}x ${relayTitle(kernel.relay)}'s`);
      }
    }
    return makeReport(o, { violations, columns: ['relay', ...TRIAL_COLUMNS], rows, summary, details: { trials } });
  } finally {
    await Promise.allSettled(beds.map((b) => b.close()));
  }
}
