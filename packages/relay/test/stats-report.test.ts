import { describe, expect, it } from 'vitest';
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
  counters: { ...emptyCounters(), ...over },
});

const report = (workers: WorkerSnapshot[]) =>
  buildStatsReport({ rules: [], workers, igmp: { attempted: 0, succeeded: 0, failed: 0, left: 0 }, memberships: [], interfaces: [], interfaceEvents: { down: 0, up: 0, gone: 0, back: 0, renamed: 0, mtu: 0, workerRestarts: 0 }, startedAt: Date.now() });

describe('stats report', () => {
  it('carries state and lastError per worker and sums the new counters', () => {
    const r = report([worker(0, { framesSeen: 5, ownFrames: 2, ttlExpired: 1 }), worker(1, { ownFrames: 3, rateLimited: 4 }, 'failing')]);
    expect(r.workers.map((w) => [w.state, w.lastError])).toEqual([
      ['running', null],
      ['failing', 'pid 1 died (SIGKILL)'],
    ]);
    expect(r.totals).toMatchObject({ ownFrames: 5, ttlExpired: 1, rateLimited: 4, badChecksum: 0, outputAbsent: 0, workersFailing: 1, workerRestarts: 5 });
  });

  it('names loop, TTL and rate drops in the summary line only when they happened', () => {
    expect(summaryLine(report([worker(0, { framesSeen: 5 })]))).not.toMatch(/loop=|ttl=|ratelimited=|failing=/);
    const line = summaryLine(report([worker(0, { ownFrames: 2, ttlExpired: 1, rateLimited: 7 }), worker(1, {}, 'failing')]));
    expect(line).toMatch(/ loop=2 ttl=1 ratelimited=7 failing=1$/);
  });
});
