import { describe, expect, it } from 'vitest';
import type { Rule } from '../src/config/types.js';
import { buildStatsReport, summaryLine } from '../src/daemon/stats-report.js';
import { emptyCounters } from '../src/workers/counters.js';
import type { WorkerSnapshot } from '../src/workers/worker-pool.js';

const worker = (index: number, over: Partial<WorkerSnapshot['counters']>, state: WorkerSnapshot['state'] = 'running'): WorkerSnapshot => ({
  interface: 'in0',
  index,
  pid: state === 'running' ? 1000 + index : null,
  alive: state === 'running',
  state,
  restarts: state === 'failing' ? 5 : 0,
  lastError: state === 'failing' ? 'pid 1 died (SIGKILL)' : null,
  ignoreOutgoing: state === 'running' ? 'fanout-flag' : null,
  engine: 'packet',
  counters: { ...emptyCounters(), ...over },
});

const args = (workers: WorkerSnapshot[]) => ({ rules: [], workers, igmp: { attempted: 0, succeeded: 0, failed: 0, left: 0 }, memberships: [], interfaces: [], interfaceEvents: { down: 0, up: 0, gone: 0, back: 0, renamed: 0, mtu: 0, workerRestarts: 0 }, startedAt: Date.now() });
const report = (workers: WorkerSnapshot[]) => buildStatsReport(args(workers));

describe('stats report', () => {
  it('carries state and lastError per worker and sums the new counters', () => {
    const r = report([worker(0, { framesSeen: 5, ownFrames: 2, ttlExpired: 1 }), worker(1, { ownFrames: 3, rateLimited: 4 }, 'failing')]);
    expect(r.workers.map((w) => [w.state, w.lastError])).toEqual([
      ['running', null],
      ['failing', 'pid 1 died (SIGKILL)'],
    ]);
    expect(r.totals).toMatchObject({ ownFrames: 5, ttlExpired: 1, rateLimited: 4, badChecksum: 0, outputAbsent: 0, workersFailing: 1, workerRestarts: 5 });
  });

  it('sums each output counter over workers by rule and position, notListened included', () => {
    const rule: Rule = { id: 'r1', input: { interface: 'in0', group: '239.1.1.1', port: 5001, family: 'ipv4' }, outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8, ttlMode: 'decrement' }] };
    const counted = (packets: number, notListened: number) => ({ notListened, rules: [{ id: 'r1', matched: packets + notListened, bytes: 0, rateLimited: 0, outputs: [{ packets, bytes: 10 * packets, txErrors: 0, notListened }] }] });
    const r = buildStatsReport({ ...args([worker(0, counted(3, 2)), worker(1, counted(4, 1))]), rules: [rule] });
    expect(r.rules[0]!.outputs[0]).toMatchObject({ packets: 7, bytes: 70, txErrors: 0, notListened: 3 });
    expect(r.totals.notListened).toBe(3);
    expect(summaryLine(r)).toMatch(/ notlistened=3$/);
  });

  it('counts a frame the tc engine took once in the totals, though its input\'s workers read it too', () => {
    const tc: WorkerSnapshot = { ...worker(2, { framesSeen: 100, matched: 99, badChecksum: 1, forwarded: 198 }), engine: 'tc' };
    // A large table's generic ring filter lets the program's frames into the ring: the worker skips them (fastPath).
    const r = report([tc, worker(0, { framesSeen: 104, noMatch: 4, fastPath: 100 })]);
    expect(r.totals).toMatchObject({ framesSeen: 104, matched: 99, badChecksum: 1, noMatch: 4, fastPath: 100, forwarded: 198 });
    // A small table's exact filter keeps them out of the ring.
    const exact = report([tc, worker(0, { framesSeen: 4, noMatch: 4 })]);
    expect(exact.totals).toMatchObject({ framesSeen: 104, matched: 99, noMatch: 4, fastPath: 0 });
  });

  it('names loop, TTL and rate drops in the summary line only when they happened', () => {
    expect(summaryLine(report([worker(0, { framesSeen: 5 })]))).not.toMatch(/loop=|ttl=|ratelimited=|failing=/);
    const line = summaryLine(report([worker(0, { ownFrames: 2, ttlExpired: 1, rateLimited: 7 }), worker(1, {}, 'failing')]));
    expect(line).toMatch(/ loop=2 ttl=1 ratelimited=7 failing=1$/);
  });
});
