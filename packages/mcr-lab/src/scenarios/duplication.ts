// duplication: mcr with N workers in one PACKET_FANOUT group. Every packet is delivered at most
// once (total delivered <= sent, no duplicates), and the load is spread: every worker forwarded
// something (`mcr stats --json`: workers[].forwarded).
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, type Row, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, trialOptions, withBed } from './common.js';

export async function duplication(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  o.onProgress(`duplication: mcr, ${o.workers} workers, fanout ${o.fanoutMode}, ${n} streams`);
  return withBed(bedOptions(o, n), async (bed) => {
    // No priming: mcr needs none, and the workers' counters must show the counted trial's spread alone.
    const r = await bed.trial({ ...trialOptions(o), prime: false });
    const stats = await bed.mcr!.stats();
    const violations: Violation[] = checkTrial(r, o, 'mcr');
    if (r.received > r.sent) {
      violations.push({ metric: 'delivered', value: r.received, threshold: r.sent,
        message: `delivered ${r.received} packets for ${r.sent} sent: ${r.received - r.sent} too many` });
    }
    const rows: Row[] = stats.workers.map((w) => ({
      worker: w.index, interface: w.interface, pid: w.pid, alive: w.alive, framesSeen: w.framesSeen, matched: w.matched, forwarded: w.forwarded,
    }));
    if (stats.workers.length !== o.workers) {
      violations.push({ metric: 'workers', value: stats.workers.length, threshold: o.workers, message: `mcr reports ${stats.workers.length} workers, expected ${o.workers}` });
    }
    for (const w of stats.workers) {
      if (!(w.forwarded > 0)) {
        violations.push({ metric: 'workerForwarded', value: w.forwarded, threshold: 1,
          message: `worker ${w.index} (pid ${w.pid}) forwarded nothing: the load is not spread over the workers` });
      }
    }
    const totals = trialTotals(r);
    return makeReport(o, {
      violations,
      columns: ['worker', 'interface', 'pid', 'alive', 'framesSeen', 'matched', 'forwarded'],
      rows,
      summary: [
        `mcr, ${o.workers} workers, fanout ${o.fanoutMode}, ${n} streams: sent ${r.sent}, delivered ${r.received} (unique ${r.unique}, duplicates ${r.duplicates}), loss ${r.lossPct.toFixed(3)} %`,
        `worker counters cover this trial only (no priming burst); total forwarded ${stats.totals.forwarded}`,
      ],
      details: { trial: totals, stats },
    });
  });
}
