// multi-stream: N streams through one bed; loss, duplicates, cross-talk and corruption per stream.
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, streamRows, STREAM_COLUMNS, type ScenarioReport } from './report.js';
import { bedOptions, trialOptions, withBed } from './common.js';
import { isMcrRelay } from '../relays/index.js';

export async function multiStream(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  o.onProgress(`multi-stream: ${o.relay}, ${n} streams, ${o.rate} pps aggregate, ${o.count} packets per stream`);
  return withBed(bedOptions(o, n), async (bed) => {
    const r = await bed.trial(trialOptions(o));
    const totals = trialTotals(r);
    return makeReport(o, {
      violations: checkTrial(r, o, bed.relay.label),
      columns: STREAM_COLUMNS,
      rows: streamRows(r),
      summary: [
        `relay ${bed.relay.label}${isMcrRelay(o.relay) ? ` (workers ${o.workers}, fanout ${o.fanoutMode})` : ''}: sent ${r.sent}, unique ${r.unique}, duplicates ${r.duplicates}, foreign ${r.foreign}, loss ${r.lossPct.toFixed(3)} %`,
        `offered ${r.offeredPps} pps, achieved ${Math.round(r.achievedPps)} pps${r.senderBound ? ' (sender-bound)' : ''}; relay CPU ${r.relayCpuPerPacketUs === null ? '-' : `${r.relayCpuPerPacketUs.toFixed(2)} us/packet`}, machine CPU ${r.machineCpuPerPacketUs.toFixed(2)} us/packet`,
      ],
      details: { trial: totals },
    });
  });
}
