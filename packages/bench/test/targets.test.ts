import { describe, expect, it } from 'vitest';
import { median } from '../src/search/spread.js';
import { delayFigures } from '../src/targets/join-leave.js';
import { doublings, pointSpecs } from '../src/targets/search-targets.js';
import { normalizeSettings } from '../src/settings.js';

describe('targets', () => {
  it('sweeps by doubling up to the maximum', () => {
    expect(doublings(10)).toEqual([1, 2, 4, 8, 10]);
    expect(doublings(1)).toEqual([1]);
    const specs = pointSpecs(normalizeSettings('fanout', { outputs: '4' }, '/tmp'));
    expect(specs.map((s) => s.label)).toEqual(['outputs=1', 'outputs=2', 'outputs=4']);
    expect(specs[2]!.bedOptions('socat')).toEqual({ relay: 'socat', streams: 1, topology: 'fanout', outputs: 4 });
    const w = pointSpecs(normalizeSettings('workers', {}, '/tmp'));
    expect(w.map((s) => s.bedOptions('mcr').workers)).toEqual([1, 2]);
  });

  it('summarises join and leave delays', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNull();
    // Median and p99 are order statistics (nearest rank), with the spread beside them; a missing sample is not a zero.
    expect(delayFigures([10, 12, null, 11])).toEqual({ count: 3, median: 11, p99: 12, min: 10, max: 12 });
    expect(delayFigures([null])).toEqual({ count: 0, median: null, p99: null, min: null, max: null });
  });
});

describe('RFC 3918 targets', () => {
  it('group capacity passes a count on a zero-loss median without duplicates', async () => {
    const { groupsPass } = await import('../src/targets/group-capacity.js');
    const t = (lossPct: number, incorrect = false) => ({ lossPct, verdict: { incorrect } }) as never;
    expect(groupsPass([t(0), t(0.2), t(0)])).toBe(true);
    expect(groupsPass([t(0.1), t(0.2), t(0)])).toBe(false);
    expect(groupsPass([t(0), t(0), t(0, true)])).toBe(false);
    expect(groupsPass([])).toBe(false);
  });

  it('has its own defaults: up to 1000 groups at 50 kpps; first-packet at 10 kpps', () => {
    expect(normalizeSettings('group-capacity', {}, '/tmp')).toMatchObject({ streams: 1000, ratePps: 50_000, repeats: 3 });
    expect(normalizeSettings('first-packet', {}, '/tmp')).toMatchObject({ streams: 10, ratePps: 10_000, rounds: 5 });
    expect(() => normalizeSettings('multi-stream', { rate: '5' }, '/tmp')).toThrow(/--rate applies/);
  });
});
