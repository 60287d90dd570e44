// The listener checks on crafted records (pure, no namespace): a late packet after a leave is caught,
// a silent leave is judged by the membership bound, and the querier timeline is read as the RFCs say.
import { describe, expect, it } from 'vitest';
import type { Observation } from '@mcr/netns-lab';
import { analyseListeners, analyseQuerier, merge } from '../../src/listeners/analysis.js';
import { listenerSchedule } from '../../src/listeners/schedule.js';
import type { SpellRecord } from '../../src/listeners/segments-run.js';
import { seeded } from '../../src/scenarios/common.js';

const bounds = { joinMs: 500, leaveMs: 800, membershipMs: 5400 };
const group = '239.9.0.1';
const spell = (over: Partial<SpellRecord>): SpellRecord => ({
  segment: 0, slot: 0, stream: 0, joinAtMs: 0, leaveAtMs: 0, ns: 'r0', ip: '10.2.0.4', linkLocal: 'fe80::4', group, port: 6001,
  joinedMs: 1000, firstMs: 1004, lastMs: 3000, stopMs: 3000, unique: 500, duplicates: 0, ...over,
});
const data = (t: number, seq: number): Observation => ({ t, kind: 'data', group, port: 6001, stream: 0, seq });
const leave = (t: number, src = '10.2.0.4'): Observation => ({ t, kind: 'igmp', src, dst: '224.0.0.2', type: 'leave', version: 2, group });
const streams = [{ group: '239.1.0.1', port: 5001, outGroup: group, outPort: 6001 }];
/** A packet every 4 ms; sequence numbers from the time, so separate calls never repeat one. */
const packets = (from: number, to: number) => Array.from({ length: Math.floor((to - from) / 4) }, (_, i) => data(from + i * 4, Math.round(from / 4) + i));

describe('listener analysis', () => {
  it('passes a stream that starts at the join and ends within the leave bound of the leave message', () => {
    const a = analyseListeners({ spells: [spell({})], observed: [[...packets(1002, 3010), leave(3005), ...packets(3012, 3400)]], endMs: 4000, streams }, bounds, 't');
    expect(a.violations).toEqual([]);
    expect(a.leaveMessagesSeen).toBe(1);
    expect(a.figures[0]!.leaveDelays[0]).toBeCloseTo(3396 - 3005, 0);
  });

  it('catches packets past the leave bound, and packets before anyone listened', () => {
    const late = [...packets(500, 600), ...packets(1002, 3010), leave(3005), ...packets(3012, 6000)];
    const a = analyseListeners({ spells: [spell({})], observed: [late], endMs: 7000, streams }, bounds, 't');
    expect(a.violations.map((v) => v.metric).sort()).toEqual(['leaveDelayMs', 'unrequested']);
  });

  it('judges a last listener that left without a leave message by the membership bound', () => {
    const a = analyseListeners({ spells: [spell({})], observed: [[...packets(1002, 3010), ...packets(3012, 6000)]], endMs: 9000, streams }, bounds, 't');
    expect(a.silentLeaves).toBe(1);
    expect(a.violations).toEqual([]);
  });

  it('judges a leave heard while mcr was not the querier by the membership bound', () => {
    const observed = [[...packets(1002, 3010), leave(3005), ...packets(3012, 6000)]];
    const notQuerier = analyseListeners({ spells: [spell({})], observed, endMs: 9000, streams }, bounds, 't', () => false);
    expect(notQuerier.violations).toEqual([]);
    expect(notQuerier.nonQuerierLeaves).toBe(1);
    expect(analyseListeners({ spells: [spell({})], observed, endMs: 9000, streams }, bounds, 't').violations.map((v) => v.metric)).toEqual(['leaveDelayMs']);
  });

  it('counts duplicates on the segment and a receiver that got nothing', () => {
    const a = analyseListeners({ spells: [spell({ firstMs: null })], observed: [[data(1002, 1), data(1003, 1), leave(3005)]], endMs: 4000, streams }, bounds, 't');
    expect(a.violations.map((v) => v.metric).sort()).toEqual(['joinDelayMs', 'segmentDuplicates']);
  });

  it('merges overlapping memberships, the later leave deciding the bound', () => {
    expect(merge([{ from: 0, to: 10, leaveSeen: true }, { from: 5, to: 20, leaveSeen: false }, { from: 30, to: 40, leaveSeen: true }])).toEqual([
      { from: 0, to: 20, silent: true },
      { from: 30, to: 40, silent: false },
    ]);
  });

  it('reads the querier timeline: non-querier under the bridge, the querier after OQPI', () => {
    const q = (t: number, state: 'querier' | 'non-querier', querier: string) => ({ t, listeners: 0, queriers: [{ interface: 'out1', family: 'ipv4' as const, state, querier, version: 3 }] });
    const e = { interface: 'out1', bridgeAddress: '10.3.0.1', stoppedAt: 10_000, heardBy: 1000, otherQuerierPresentMs: 4500, bridgeQueryIntervalMs: 2000, slackMs: 1000, aloneOn: [] };
    const good = [q(2000, 'non-querier', '10.3.0.1'), q(9000, 'non-querier', '10.3.0.1'), q(12_000, 'non-querier', '10.3.0.1'), q(14_000, 'querier', '10.3.0.2'), q(16_000, 'querier', '10.3.0.2')];
    expect(analyseQuerier(good, e, 'ipv4', 't').violations).toEqual([]);
    const never = good.map((s) => ({ ...s, queriers: s.queriers.map((x) => ({ ...x, state: 'non-querier' as const })) }));
    expect(analyseQuerier(never, e, 'ipv4', 't').violations.map((v) => v.metric)).toEqual(['querierTakeoverMs']);
    const usurper = [q(2000, 'querier', '10.3.0.2'), ...good.slice(1)];
    expect(analyseQuerier(usurper, e, 'ipv4', 't').violations.map((v) => v.metric)).toEqual(['querierElection']);
  });
});

describe('listener schedule', () => {
  it('is reproducible from its seed, within the run, one spell at a time per receiver', () => {
    const shape = { segments: 3, receivers: 4, streams: 2, seconds: 60 };
    const a = listenerSchedule(seeded(7), shape);
    expect(listenerSchedule(seeded(7), shape)).toEqual(a);
    expect(listenerSchedule(seeded(8), shape)).not.toEqual(a);
    expect(a.every((s) => s.leaveAtMs <= 60_000 && s.leaveAtMs - s.joinAtMs >= 2000)).toBe(true);
    for (const seg of [0, 1, 2]) {
      for (const slot of [0, 1, 2, 3]) {
        const mine = a.filter((s) => s.segment === seg && s.slot === slot);
        mine.slice(1).forEach((s, i) => expect(s.joinAtMs).toBeGreaterThan(mine[i]!.leaveAtMs));
      }
    }
  });
});
