// churn: rules on extra groups are added and removed through mcr's control socket while the bed's
// streams run, with traffic on the extra groups too; the untouched streams lose nothing beyond
// --max-loss and see no duplicates, every add/remove succeeds, and only the bed's rules remain.
import { mcrEndpoint } from '../bed/index.js';
import { type AddressFamily, LAB_TTL, runSender } from '@mcr/netns-lab';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, streamRows, STREAM_COLUMNS, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, withBed } from './common.js';

/**
 * Extra groups churned: input 239.2.0.<k+1>:7001+k -> output 239.8.0.<k+1>:8001+k (IPv6:
 * ff3e::2:<k+1> -> ff3e::8:<k+1>), outside the stream plan.
 */
const EXTRA = 2;
const extraGroups = (k: number, family: AddressFamily): [string, string] =>
  family === 'ipv6' ? [`ff3e::2:${k + 1}`, `ff3e::8:${k + 1}`] : [`239.2.0.${k + 1}`, `239.8.0.${k + 1}`];
const EXTRA_PPS = 500;
/** Default trial length when --count is not given: long enough for several add/remove cycles. */
export const CHURN_DEFAULT_SECONDS = 4;

export async function churn(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  const count = o.countGiven || o.rate === 0 ? o.count : Math.max(o.count, Math.ceil((o.rate * CHURN_DEFAULT_SECONDS) / n));
  o.onProgress(`churn: mcr, ${n} streams at ${o.rate} pps aggregate, ${count} packets per stream; ${EXTRA} extra rules added/removed under traffic`);
  return withBed(bedOptions(o, n), async (bed) => {
    const mcr = bed.mcr!;
    const topo = bed.lab.topo;
    const in0 = topo.relay.inputs[0]!.ifname;
    const extra = Array.from({ length: EXTRA }, (_, k) => {
      const [group, outGroup] = extraGroups(k, o.family);
      return { id: `churn${k}`, group, port: 7001 + k, outputs: topo.relay.outputs.map((x) => mcrEndpoint(x.ifname, outGroup, 8001 + k, LAB_TTL)) };
    });
    const violations: Violation[] = [];
    let cycles = 0;
    let operations = 0;
    const r = await bed.trial({
      rate: o.rate,
      count,
      size: o.size,
      during: async (signal) => {
        const bg = new AbortController();
        const src = topo.source;
        const extraTraffic = runSender({ netns: src.ns, interface: src.ifname, ttl: LAB_TTL, streams: extra.map((e) => ({ group: e.group, port: e.port })),
          rate: EXTRA_PPS, durationSec: 600, size: o.size, signal: bg.signal });
        try {
          while (!signal.aborted) {
            for (const e of extra) {
              await mcr.add({ id: e.id, input: mcrEndpoint(in0, e.group, e.port), outputs: e.outputs });
              operations++;
            }
            for (const e of extra) {
              await mcr.remove(e.id);
              operations++;
            }
            cycles++;
          }
        } catch (err) {
          violations.push({ metric: 'controlError', value: 1, threshold: 0, message: `mcr add/remove failed after ${operations} operations: ${(err as Error).message}` });
        } finally {
          bg.abort();
          await extraTraffic.catch(() => undefined);
        }
      },
    });
    violations.push(...checkTrial(r, o, 'untouched streams'));
    if (cycles === 0 && !violations.some((v) => v.metric === 'controlError')) {
      violations.push({ metric: 'churnCycles', value: 0, threshold: 1, message: 'no add/remove cycle completed while the streams ran (raise --count)' });
    }
    const ids = await mcr.ruleIds();
    const expected = bed.streams.map((_, i) => `s${i}`);
    const leftover = ids.filter((id) => !expected.includes(id));
    const lost = expected.filter((id) => !ids.includes(id));
    if (leftover.length || lost.length) {
      violations.push({ metric: 'rules', value: leftover.length + lost.length, threshold: 0,
        message: `after churn mcr list shows ${ids.join(', ')}: ${leftover.length ? `left over ${leftover.join(', ')}` : ''}${lost.length ? ` lost ${lost.join(', ')}` : ''}` });
    }
    const totals = trialTotals(r);
    return makeReport(o, {
      violations,
      columns: STREAM_COLUMNS,
      rows: streamRows(r),
      summary: [
        `${cycles} add/remove cycles (${operations} control operations) on ${EXTRA} extra groups with ${EXTRA_PPS} pps on them, during the trial`,
        `untouched streams: sent ${r.sent}, unique ${r.unique}, duplicates ${r.duplicates}, loss ${r.lossPct.toFixed(3)} %`,
      ],
      details: { trial: totals, cycles, operations, rulesAfter: ids },
    });
  });
}
