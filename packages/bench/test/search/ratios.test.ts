import { describe, expect, it } from 'vitest';
import { describeRatio, ratio } from '../../src/search/ratios.js';
import type { RateFigure } from '../../src/search/search.js';

const fig = (pps: number, o: Partial<RateFigure> = {}): RateFigure => ({
  pps, offeredPps: pps, achievedPps: pps, senderBound: false, atCeiling: false, lossPct: 0, duplicates: 0, reordered: 0, p99Us: null, relayCpuPerPacketUs: null, machineCpuPerPacketUs: null, ...o,
});

describe('ratio', () => {
  it('is exact when both sides are measured, a bound when one is sender-bound', () => {
    expect(ratio('mcr/socat', 'pdr', fig(200), fig(50))).toMatchObject({ value: 4, kind: 'exact' });
    expect(ratio('mcr/kernel', 'pdr', fig(300, { senderBound: true }), fig(300))).toMatchObject({ value: 1, kind: 'lower-bound' });
    expect(ratio('mcr/kernel', 'pdr', fig(200), fig(300, { atCeiling: true })).kind).toBe('upper-bound');
    expect(ratio('mcr/kernel', 'pdr', null, fig(300)).value).toBeNull();
    expect(describeRatio(ratio('x', 'pdr', fig(300, { senderBound: true }), fig(150)))).toBe('>= 2.00x');
  });
});
