// scaling: multi-stream for each stream count in the list; one table, one row per count.
import type { TrialResult } from '../bed/index.js';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, trialRow, TRIAL_COLUMNS, type Row, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, trialOptions, withBed } from './common.js';

export async function scaling(o: ScenarioOptions): Promise<ScenarioReport> {
  const rows: Row[] = [];
  const violations: Violation[] = [];
  const trials: Omit<TrialResult, 'perStream'>[] = [];
  for (const n of o.streams) {
    o.onProgress(`scaling: ${o.relay}, ${n} streams`);
    await withBed(bedOptions(o, n), async (bed) => {
      const r = await bed.trial(trialOptions(o));
      const totals = trialTotals(r);
      trials.push(totals);
      const v = checkTrial(r, o, `${bed.relay.label}, ${n} streams`);
      violations.push(...v);
      rows.push(trialRow(r, { violations: v.length }));
    });
  }
  return makeReport(o, {
    violations,
    columns: [...TRIAL_COLUMNS, 'violations'],
    rows,
    summary: [`relay ${o.injectBug === 'socat-shared-port' ? 'socat-shared-port' : o.relay}, ${o.rate} pps aggregate, ${o.count} packets per stream, stream counts ${o.streams.join(',')}`],
    details: { trials },
  });
}
