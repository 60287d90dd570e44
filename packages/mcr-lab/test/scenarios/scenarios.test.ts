// Every scenario passes against mcr at a modest rate, and every negative control (--inject-bug)
// is caught: report.passed false, the CLI exits 1. Option errors exit 2. Correctness only (no timing).
// Runtime: ~3 minutes, most of it the two igmp runs (~10 s of snooping warm-up each).
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseScenarioOptions, runScenario, ScenarioUsageError, type ScenarioReport } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';
import { cli, expectPassed } from './scenario-cli.js';
import { kernelReference } from '../kernel-reference.js';

expectBedsClosedAfterAll();


const modest = { rate: 5000, count: 1000 } as const;

describe('options (pure)', () => {
  it('defaults, lists and implied relays', () => {
    expect(normaliseScenarioOptions('multi-stream')).toMatchObject({ relay: 'mcr', streams: [4], workers: 1, fanoutMode: 'hash', rate: 10000, count: 2000, size: 1000, maxLoss: 1, maxDup: 0 });
    expect(normaliseScenarioOptions('scaling', { streams: '1,2,5' }).streams).toEqual([1, 2, 5]);
    expect(normaliseScenarioOptions('duplication').workers).toBe(2);
    expect(normaliseScenarioOptions('multi-stream', { injectBug: 'fanout-off' })).toMatchObject({ relay: 'mcr', workers: 2, fanoutMode: 'off' });
    expect(normaliseScenarioOptions('multi-stream', { injectBug: 'socat-shared-port' }).relay).toBe('socat');
  });

  it('rejects bad combinations, naming the option', () => {
    const bad: [string, object, RegExp][] = [
      ['nope', {}, /unknown scenario "nope"/],
      ['igmp', { relay: 'socat' }, /--relay must be mcr/],
      ['multi-stream', { injectBug: 'no-igmp' }, /does not apply to multi-stream/],
      ['multi-stream', { injectBug: 'socat-shared-port', relay: 'mcr' }, /needs --relay socat/],
      ['multi-stream', { streams: '1,2' }, /list for scaling only/],
      ['multi-stream', { rate: 'fast' }, /--rate/],
      ['multi-stream', { relay: 'socat', workers: 2 }, /--workers/],
      ['compare', { relay: 'mcr' }, /does not apply to compare/],
      ['duplication', { workers: 1 }, /workers >= 2/],
    ];
    for (const [name, input, re] of bad) {
      expect(() => normaliseScenarioOptions(name, input)).toThrow(ScenarioUsageError);
      expect(() => normaliseScenarioOptions(name, input)).toThrow(re);
    }
  });

  it('CLI: --help lists scenarios and options; usage errors exit 2', async () => {
    const help = await cli('run', '--help');
    expect(help.code).toBe(0);
    for (const word of ['multi-stream', 'scaling', 'duplication', 'igmp', 'churn', 'compare', '--inject-bug', '--max-loss', '--fanout-mode']) expect(help.out).toContain(word);
    expect(await cli('run')).toMatchObject({ code: 2, err: expect.stringContaining('missing <scenario>') });
    expect(await cli('run', 'igmp', '--relay', 'kernel')).toMatchObject({ code: 2, err: expect.stringContaining('--relay must be mcr') });
    expect(await cli('run', 'multi-stream', '--frob')).toMatchObject({ code: 2, err: expect.stringContaining('--frob') });
  });
});

describe('negative control without mcr', () => {
  it('socat-shared-port: multi-stream exits 1 (cross-talk), the JSON report says which stream', async () => {
    const file = join(tmpdir(), `mcr-lab-scenario-${process.pid}.json`);
    try {
      const r = await cli('run', 'multi-stream', '--inject-bug', 'socat-shared-port', '--streams', '3', '--rate', '3000', '--count', '500', '--json', file);
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.out).toContain('FAIL');
      const rep = JSON.parse(await readFile(file, 'utf8')) as ScenarioReport;
      expect(rep.passed).toBe(false);
      expect(rep.violations.some((v) => v.metric === 'foreign' && v.stream !== undefined && v.value > 0)).toBe(true);
    } finally {
      await rm(file, { force: true });
    }
  });
});

describe('against mcr', () => {
  it('multi-stream passes (CLI exit 0)', async () => {
    const r = await cli('run', 'multi-stream', '--streams', '4', '--rate', '5000', '--count', '1000');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('PASS');
  });

  it('multi-stream with fanout-off: duplicates, CLI exit 1', async () => {
    const r = await cli('run', 'multi-stream', '--inject-bug', 'fanout-off', '--streams', '2', '--rate', '4000', '--count', '500');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/duplicates > max 0/);
  });

  it('scaling passes: one row per stream count', async () => {
    const r = await runScenario('scaling', { streams: [1, 3], ...modest });
    expectPassed(r);
    expect(r.rows.map((x) => x.streams)).toEqual([1, 3]);
  });

  it('duplication passes: no duplicate, every worker forwarded', async () => {
    const r = await runScenario('duplication', { workers: 2, ...modest });
    expectPassed(r);
    expect(r.rows).toHaveLength(2);
    for (const w of r.rows) expect(w.forwarded).toBeGreaterThan(0);
  });

  it('duplication with fanout-off is caught', async () => {
    const r = await runScenario('duplication', { injectBug: 'fanout-off', streams: 4, rate: 4000, count: 500 });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toEqual(expect.arrayContaining(['duplicates', 'delivered']));
  });

  it('churn passes: untouched streams lose nothing while rules come and go', async () => {
    const r = await runScenario('churn', { rate: 5000 });
    expectPassed(r);
    expect(r.details.cycles).toBeGreaterThan(0);
  });

  it('compare passes for mcr, socat and the in-kernel reference in one run', async () => {
    const r = await runScenario('compare', { rate: 4000, count: 1000 });
    expectPassed(r);
    expect(r.rows.map((x) => x.relay)).toEqual(['mcr', 'socat', (await kernelReference()).label]);
  });

  it('igmp with no-igmp is caught: nothing crosses the snooping bridge', async () => {
    const r = await runScenario('igmp', { injectBug: 'no-igmp', ...modest });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toEqual(expect.arrayContaining(['lossPct', 'igmpMissing']));
  });

  it('loop passes: one segment relays a datagram once, a ring of two relays lets it die within its TTL', async () => {
    const r = await runScenario('loop');
    expectPassed(r);
    expect(r.rows.map((x) => [x.topology, x.ttl, x.relayed])).toEqual([
      ['segment', 1, 0],
      ['segment', 8, 1],
      ['ring', 8, 7],
    ]);
    expect(r.rows[1]!.ownFrames).toBeGreaterThanOrEqual(1);
  });

  it('loop with no-loop-guard is caught: the datagram circulates (CLI exit 1)', async () => {
    const r = await cli('run', 'loop', '--inject-bug', 'no-loop-guard');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/the relays loop/);
  });

  it('igmp passes: delivered, memberships match, leave and join observed', async () => {
    const r = await runScenario('igmp', modest);
    expectPassed(r);
    expect(typeof r.details.leaveDelayMs).toBe('number');
    expect(typeof r.details.joinDelayMs).toBe('number');
    expect(r.rows).toHaveLength(2);
  });
});
