import { describe, expect, it } from 'vitest';
import { buildStatsReport } from '../../src/daemon/stats-report.js';
import { parseListenAddress } from '../../src/metrics/listen-address.js';
import { RelayMetrics } from '../../src/metrics/relay-metrics.js';
import { emptyCounters, SCALAR_COUNTERS } from '../../src/workers/counters.js';
import type { Rule } from '../../src/config/types.js';

const rule: Rule = {
  id: 'r1',
  input: { interface: 'in0', group: '239.1.1.1', port: 5001, family: 'ipv4' },
  outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8, ttlMode: 'decrement' }],
};
const rule6: Rule = {
  id: 'r6',
  input: { interface: 'in0', group: 'ff3e::1:0', prefixLength: 120, port: 5001, source: 'fd00:0:0:1::1', family: 'ipv6' },
  outputs: [{ interface: 'out0', group: 'ff3e::9:0', prefixLength: 120, port: 6001, ttl: 8, ttlMode: 'decrement' }],
};

const report = () =>
  buildStatsReport({
    rules: [rule, rule6],
    workers: [
      {
        interface: 'in0',
        index: 0,
        pid: 10,
        alive: true,
        state: 'running',
        restarts: 2,
        lastError: null,
        ignoreOutgoing: 'fanout-flag',
        counters: {
          ...emptyCounters(),
          framesSeen: 120,
          matched: 100,
          noMatch: 20,
          kernelDrops: 3,
          ownFrames: 4,
          notListened: 5,
          rules: [
            { id: 'r1', matched: 100, bytes: 100_000, rateLimited: 1, outputs: [{ packets: 99, bytes: 99_000, txErrors: 1, notListened: 5 }] },
            { id: 'r6', matched: 7, bytes: 7000, rateLimited: 0, outputs: [{ packets: 7, bytes: 7000, txErrors: 0, notListened: 0 }] },
          ],
        },
      },
    ],
    igmp: { attempted: 3, succeeded: 2, failed: 1, left: 1 },
    memberships: [{ interface: 'in0', family: 'ipv4', group: '239.1.1.1', rules: ['r1'], joined: true }, { interface: 'in0', family: 'ipv6', group: 'ff3e::1', source: 'fd00:0:0:1::2', rules: ['r2'], joined: true }],
    interfaces: [{ name: 'in0', ifindex: 2, up: true, ipv4: '10.0.0.1', ipv6: null, ipv6LinkLocal: null, mtu: 1500, mac: '02:00:00:00:00:01', fanout: { id: 7, mode: 'hash' } }], interfaceEvents: { down: 0, up: 0, gone: 0, back: 0, renamed: 0, mtu: 0, workerRestarts: 0 },
    startedAt: Date.now(),
  });

/** The value of one sample line, by metric name and exact label set. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('metrics', () => {
  it('copies every value from the stats snapshot', async () => {
    const text = await new RelayMetrics().render(report());
    expect(sample(text, 'mcr_rule_matched_packets_total', 'rule="r1"')).toBe(100);
    expect(sample(text, 'mcr_rule_matched_bytes_total', 'rule="r1"')).toBe(100_000);
    expect(sample(text, 'mcr_output_packets_total', 'rule="r1",interface="out0",group="239.9.9.1",port="6001"')).toBe(99);
    expect(sample(text, 'mcr_output_tx_errors_total', 'rule="r1",interface="out0",group="239.9.9.1",port="6001"')).toBe(1);
    expect(sample(text, 'mcr_output_not_listened_total', 'rule="r1",interface="out0",group="239.9.9.1",port="6001"')).toBe(5);
    expect(sample(text, 'mcr_worker_not_listened_total', 'interface="in0",worker="0"')).toBe(5);
    // IPv6 groups are label values as they are; a range output is BASE/LEN.
    expect(sample(text, 'mcr_output_packets_total', 'rule="r6",interface="out0",group="ff3e::9:0/120",port="6001"')).toBe(7);
    expect(sample(text, 'mcr_worker_frames_total', 'interface="in0",worker="0"')).toBe(120);
    expect(sample(text, 'mcr_worker_kernel_drops_total', 'interface="in0",worker="0"')).toBe(3);
    expect(sample(text, 'mcr_worker_no_match_total', 'interface="in0",worker="0"')).toBe(20);
    expect(sample(text, 'mcr_worker_own_frames_total', 'interface="in0",worker="0"')).toBe(4);
    expect(sample(text, 'mcr_worker_restarts_total', 'interface="in0",worker="0"')).toBe(2);
    expect(sample(text, 'mcr_igmp_joins_total', 'result="succeeded"')).toBe(2);
    expect(sample(text, 'mcr_igmp_joins_total', 'result="failed"')).toBe(1);
    expect(sample(text, 'mcr_igmp_memberships', 'interface="in0",family="ipv4"')).toBe(1);
    expect(sample(text, 'mcr_igmp_memberships', 'interface="in0",family="ipv6"')).toBe(1);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^# TYPE mcr_output_packets_total counter$/m);
  });

  it('has a metric for every counter a worker keeps', async () => {
    const text = await new RelayMetrics().render(report());
    const perWorker = text.split('\n').filter((l) => /^mcr_worker_\w+_total\{interface="in0",worker="0"\} /.test(l));
    expect(perWorker.length).toBe(SCALAR_COUNTERS.length + 1); // + restarts
  });

  it('forgets a rule that is gone at the next scrape', async () => {
    const metrics = new RelayMetrics();
    await metrics.render(report());
    const text = await metrics.render({ ...report(), rules: [] });
    expect(sample(text, 'mcr_rule_matched_packets_total', 'rule="r1"')).toBeUndefined();
  });

  it('counts pending rules, and says whether the state file is well while there is one', async () => {
    const metrics = new RelayMetrics();
    const plain = await metrics.render(report());
    expect(sample(plain, 'mcr_rules_pending', '')).toBe(0);
    expect(plain).not.toMatch(/^mcr_state_file_ok\{/m);
    const text = await metrics.render({ ...report(), pending: [{ id: 'r9', reason: 'interface x is absent', rule: { ...rule, id: 'r9' } }], stateFile: { ok: false, path: '/s.json', error: 'ENOSPC' } });
    expect(sample(text, 'mcr_rules_pending', '')).toBe(1);
    expect(sample(text, 'mcr_state_file_ok', 'path="/s.json"')).toBe(0);
  });

  it('parses listen addresses and names what is wrong', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('localhost:9464')).toMatch(/IP address.*"localhost"/);
    expect(parseListenAddress('127.0.0.1:70000')).toMatch(/1\.\.65535, got 70000/);
    expect(parseListenAddress('9464')).toMatch(/HOST:PORT/);
  });
});
