// bench:group-capacity (RFC 3918 group capacity): the largest number of groups on one input interface
// that a relay forwards with zero loss at one fixed aggregate rate, for N = 1, 2, 4 ... up to --streams
// (default 1000). At each N every relay still passing gets a fresh bed with N streams and --repeats
// trials, interleaved over relays; N passes when the median trial lost nothing and no trial delivered
// a duplicate. A relay stops at its first failing N; its capacity is the N before.
import { isMcrRelay } from '@mcr/mcr-lab';
import { openBedOrExplain, type Bed, type OpenBed, type RelayName } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { renderGroupCapacity } from '../report/rfc3918.js';
import type { GroupCapacityResult } from '../results/schema.js';
import { trackBed, untrackBed } from '../runner.js';
import { kpps, pickFigures, type TrialRecord } from '../search/search.js';
import { median, spread } from '../search/spread.js';
import { verdict } from '../search/verdict.js';
import type { Settings } from '../settings.js';
import { doublings } from './search-targets.js';

/** Does one group count pass: median loss 0 and no duplicate, corrupt or foreign packet. */
export function groupsPass(trials: readonly TrialRecord[]): boolean {
  if (trials.length === 0) return false;
  return median(trials.map((t) => t.lossPct)) === 0 && trials.every((t) => !t.verdict.incorrect);
}

export async function runGroupCapacity(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const openBed = await openBedOrExplain('group-capacity', injected);
  if (!openBed) return 1;
  const rate = s.ratePps!;
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const gc: GroupCapacityResult = { ratePps: rate, counts: doublings(s.streams), points: [], capacity: [] };
  result.groupCapacity = gc;
  process.stderr.write(`bench group-capacity: --rate ${rate} aggregate, groups ${gc.counts.join(',')}, ${s.repeats} trials of ${s.trialSeconds} s each, relays ${s.relays.join(',')}\n`);
  let alive = [...s.relays];
  for (const groups of gc.counts) {
    if (alive.length === 0) break;
    const beds = new Map<RelayName, Bed>();
    const point: GroupCapacityResult['points'][number] = { groups, relays: [] };
    try {
      for (const relay of alive) {
        try {
          const bed = await openBed({ relay, streams: groups, ...(isMcrRelay(relay) ? { workers: s.workers } : {}) });
          trackBed(bed);
          beds.set(relay, bed);
        } catch (err) {
          result.notes.push(`groups=${groups}: ${relay} bed could not be opened: ${(err as Error).message.split('\n')[0]}`);
          point.relays.push({ relay, trials: [], pass: false, lossPct: null, machineCpuPerPacketUs: null, error: (err as Error).message.split('\n')[0] });
        }
      }
      const trials = new Map<RelayName, TrialRecord[]>([...beds.keys()].map((r) => [r, []]));
      for (let k = 0; k < s.repeats; k++) {
        const order = [...beds.keys()];
        const shifted = [...order.slice(k % order.length), ...order.slice(0, k % order.length)];
        for (const relay of shifted) {
          const f = pickFigures(await beds.get(relay)!.trial({ rate, durationSec: s.trialSeconds, size: s.size, prime: s.prime }));
          const rec: TrialRecord = { ...f, rung: k + 1, targetPps: rate, verdict: verdict(f, s.maxLossPct, s.senderBoundRatio) };
          trials.get(relay)!.push(rec);
          process.stderr.write(`groups=${groups} ${relay} #${k + 1}: loss ${f.lossPct.toFixed(3)} %, dups ${f.duplicates}, achieved ${kpps(f.achievedPps)}\n`);
        }
      }
      for (const [relay, ts] of trials) {
        point.relays.push({ relay, trials: ts, pass: groupsPass(ts), lossPct: spread(ts.map((t) => t.lossPct)), machineCpuPerPacketUs: spread(ts.map((t) => t.machineCpuPerPacketUs)) });
      }
    } finally {
      for (const bed of beds.values()) {
        await bed.close().catch((err: unknown) => result.notes.push(`closing a bed failed: ${(err as Error).message}`));
        untrackBed(bed);
      }
    }
    gc.points.push(point);
    alive = alive.filter((r) => point.relays.find((x) => x.relay === r)?.pass);
  }
  gc.capacity = s.relays.map((relay) => {
    const passed = gc.points.filter((p) => p.relays.find((r) => r.relay === relay)?.pass).map((p) => p.groups);
    const max = passed.length ? Math.max(...passed) : null;
    return { relay, groups: max, stop: max === gc.counts[gc.counts.length - 1] ? 'max' : 'failed' };
  });
  finishResult(result, clock);
  process.stdout.write(renderGroupCapacity(gc));
  await publish(result, s);
  return 0;
}
