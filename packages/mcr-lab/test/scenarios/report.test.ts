// The threshold checks and the text renderer (pure).
import { describe, expect, it } from 'vitest';
import type { TrialResult } from '../../src/bed/index.js';
import { checkTrial, makeReport, normaliseScenarioOptions, renderReport } from '../../src/scenarios/index.js';

const stream = (n: number, over: Partial<TrialResult['perStream'][number]> = {}): TrialResult['perStream'][number] => ({
  stream: n, sink: 0, group: `239.9.0.${n + 1}`, port: 6001 + n, sent: 1000, received: 1000, unique: 1000, duplicates: 0, missing: 0,
  reordered: 0, corrupt: 0, foreign: 0, lossPct: 0, latencyUs: { p50: 1, p99: 2, p999: 2.5, max: 3 }, firstMs: null, lastMs: null, ...over,
});
const trial = (perStream: TrialResult['perStream']): TrialResult => ({
  relay: 'mcr', family: 'ipv4', sender: { raw: true, senders: 1 }, streams: perStream.length, size: 1000, offeredPps: 1000, achievedPps: 1000, senderBound: false, sent: 1000 * perStream.length,
  received: 0, unique: 0, duplicates: 0, missing: 0, reordered: 0, corrupt: 0, foreign: 0, lossPct: 0,
  latencyUs: { p50: 1, p99: 2, p999: 2.5, max: 3 }, relayCpuSeconds: null, relayCpuPerPacketUs: null, machineCpuSeconds: 0.1, machineCpuPerPacketUs: 1, perStream,
});

describe('checkTrial', () => {
  it('passes a clean trial and names stream, metric and margin otherwise', () => {
    expect(checkTrial(trial([stream(0), stream(1)]), { maxLoss: 1, maxDup: 0 })).toEqual([]);
    const v = checkTrial(trial([stream(0, { missing: 25, unique: 975, lossPct: 2.5 }), stream(1, { duplicates: 3, foreign: 2, corrupt: 1 })]), { maxLoss: 1, maxDup: 0 }, 'mcr');
    expect(v.map((x) => [x.stream, x.metric, x.value, x.threshold])).toEqual([
      [0, 'lossPct', 2.5, 1],
      [1, 'duplicates', 3, 0],
      [1, 'foreign', 2, 0],
      [1, 'corrupt', 1, 0],
    ]);
    expect(v[0]!.message).toBe('mcr: stream 0 (239.9.0.1:6001): loss 2.50 % (25 of 1000 missing) > max 1 %, by 1.50 %');
  });

  it('loss at the threshold holds; --max-dup allows some duplicates', () => {
    expect(checkTrial(trial([stream(0, { lossPct: 1 }), stream(1, { duplicates: 2 })]), { maxLoss: 1, maxDup: 2 })).toEqual([]);
  });
});

describe('renderReport', () => {
  it('prints the summary, an aligned table, the violations and PASS/FAIL', () => {
    const o = normaliseScenarioOptions('multi-stream');
    const rep = makeReport(o, {
      violations: [{ stream: 1, metric: 'duplicates', value: 5, threshold: 0, message: 'stream 1: 5 duplicates > max 0, by 5' }],
      columns: ['stream', 'dup'],
      rows: [{ stream: 0, dup: 0 }, { stream: 1, dup: 5 }],
      summary: ['one line'],
      details: {},
    });
    expect(rep.passed).toBe(false);
    expect(renderReport(rep)).toBe(
      ['scenario multi-stream', '  one line', '', 'stream  dup', '------  ---', '     0    0', '     1    5', '', '1 violation(s):', '  - stream 1: 5 duplicates > max 0, by 5', 'FAIL'].join('\n'),
    );
    expect(JSON.parse(JSON.stringify(rep)).options).not.toHaveProperty('onProgress');
  });
});
