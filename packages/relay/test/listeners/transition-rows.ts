import type { AddressFamily } from '@mcr/relay-native';
import { NEWEST_VERSION, type ListenerMessage, type ListenerVersion, type RecordType } from '../../src/listeners/listener-messages.js';
import type { FilterMode } from '../../src/listeners/listener-table.js';
import { GROUP, SOURCE_NAMES, encode, recordBytes, source, type SourceName } from './listener-fixtures.js';

// RFC 3376 §6 / RFC 3810 §7 router-side transitions, one row each (the pure table runs them all in
// transitions.test.ts; the relay's e2e test runs the record rows through a live relay): an initial state, the messages
// received (as bytes, built then parsed), and the state after: filter mode, group timer, each source's
// timer, which sources are forwarded, and the queries sent. Settings are the RFC defaults: group
// membership interval 260 s, last member query time 2 s (2 queries 1 s apart). The initial state is
// made at 0 s, so its timers read 250 s at 10 s, when most rows receive their message.

export type Initial = 'none' | { include: SourceName[] } | { exclude: [x: SourceName[], y: SourceName[]] };

/** Something that happens at `at` seconds: a message arrives (bytes for the family), or only time passes. */
export interface Step {
  at: number;
  bytes?: (family: AddressFamily) => Buffer;
}

export interface Row {
  name: string;
  initial: Initial;
  steps: Step[];
  /** The table is the querier unless a row says false. */
  querier?: boolean;
  /** The interface's configured version, when not the newest. */
  version?: Partial<Record<AddressFamily, ListenerVersion>>;
  expect: {
    /** null: no state left for the group. */
    mode: FilterMode | null;
    /** Seconds left; null in INCLUDE mode. */
    groupTimer?: number | null;
    /** Seconds left per source; 0 for a source EXCLUDE mode blocks. Exactly the group's source records. */
    timers?: Partial<Record<SourceName, number>>;
    /** The sources (of a..e and z, one the group never heard of) whose traffic is forwarded. */
    forward: SourceName[];
    /** Every query sent during the steps, as describeQuery writes it; "vN" is the family's newest. */
    queries?: string[];
    compatibility?: 'newest' | 1 | 2;
  };
}

export const at = (seconds: number, bytes?: Step['bytes']): Step => ({ at: seconds, ...(bytes ? { bytes } : {}) });
export const record = (seconds: number, type: RecordType, names: SourceName[]) => at(seconds, (f) => recordBytes(f, type, names));
const older = (seconds: number, message: (family: AddressFamily) => ListenerMessage) => at(seconds, (f) => encode(f, message(f)));
/** An IGMPv2 report / MLDv1 report; with `v1` an IGMPv1 report. */
const olderReport = (seconds: number, v1 = false) => older(seconds, (f) => ({ kind: 'report', version: f === 'ipv4' && !v1 ? 2 : 1, group: GROUP[f] }));
/** An IGMPv2 leave / MLDv1 done. */
const olderLeave = (seconds: number) => older(seconds, (f) => ({ kind: 'leave', version: f === 'ipv4' ? 2 : 1, group: GROUP[f] }));
/** A query from the querier (another router), group-specific or group-and-source-specific. */
const otherQuery = (seconds: number, names: SourceName[], suppress: boolean) =>
  older(seconds, (f) => ({ kind: 'query', version: NEWEST_VERSION[f], group: GROUP[f], sources: names.map((n) => source(f, n)), maxResponseMs: 1000, suppressRouterProcessing: suppress, robustness: 2, queryIntervalSeconds: 125 }));
const advanceTo = (seconds: number) => at(seconds);

export const ALL: SourceName[] = SOURCE_NAMES;
const allBut = (...names: SourceName[]) => ALL.filter((n) => !names.includes(n));

const INC_AB: Initial = { include: ['a', 'b'] };
const EXC_AB_CD: Initial = { exclude: [['a', 'b'], ['c', 'd']] };

/** RFC 3376 §6.4.1 and §6.4.2 (RFC 3810 §7.4.1, §7.4.2): each record type in each filter mode. */
export const RECORD_ROWS: Row[] = [
  // INCLUDE (A={a,b}) with B={b,c}
  { name: 'INCLUDE(A) + IS_IN(B) -> INCLUDE(A+B); (B)=GMI', initial: INC_AB, steps: [record(10, 'IS_IN', ['b', 'c'])], expect: { mode: 'include', groupTimer: null, timers: { a: 250, b: 260, c: 260 }, forward: ['a', 'b', 'c'], queries: [] } },
  { name: 'INCLUDE(A) + IS_EX(B) -> EXCLUDE(A*B, B-A); (B-A)=0; Delete(A-B); GT=GMI', initial: INC_AB, steps: [record(10, 'IS_EX', ['b', 'c'])], expect: { mode: 'exclude', groupTimer: 260, timers: { b: 250, c: 0 }, forward: allBut('c'), queries: [] } },
  { name: 'INCLUDE(A) + ALLOW(B) -> INCLUDE(A+B); (B)=GMI', initial: INC_AB, steps: [record(10, 'ALLOW', ['b', 'c'])], expect: { mode: 'include', groupTimer: null, timers: { a: 250, b: 260, c: 260 }, forward: ['a', 'b', 'c'], queries: [] } },
  { name: 'INCLUDE(A) + BLOCK(B) -> INCLUDE(A); Q(G,A*B)', initial: INC_AB, steps: [record(10, 'BLOCK', ['b', 'c'])], expect: { mode: 'include', timers: { a: 250, b: 2 }, forward: ['a', 'b'], queries: ['10s vN G[b]'] } },
  { name: 'INCLUDE(A) + TO_EX(B) -> EXCLUDE(A*B, B-A); (B-A)=0; Delete(A-B); Q(G,A*B); GT=GMI', initial: INC_AB, steps: [record(10, 'TO_EX', ['b', 'c'])], expect: { mode: 'exclude', groupTimer: 260, timers: { b: 2, c: 0 }, forward: allBut('c'), queries: ['10s vN G[b]'] } },
  { name: 'INCLUDE(A) + TO_IN(B) -> INCLUDE(A+B); (B)=GMI; Q(G,A-B)', initial: INC_AB, steps: [record(10, 'TO_IN', ['b', 'c'])], expect: { mode: 'include', timers: { a: 2, b: 260, c: 260 }, forward: ['a', 'b', 'c'], queries: ['10s vN G[a]'] } },
  // EXCLUDE (X={a,b}, Y={c,d}) with A={b,c,e}
  { name: 'EXCLUDE(X,Y) + IS_IN(A) -> EXCLUDE(X+A, Y-A); (A)=GMI', initial: EXC_AB_CD, steps: [record(10, 'IS_IN', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 250, timers: { a: 250, b: 260, c: 260, d: 0, e: 260 }, forward: allBut('d'), queries: [] } },
  { name: 'EXCLUDE(X,Y) + IS_EX(A) -> EXCLUDE(A-Y, Y*A); (A-X-Y)=GMI; Delete(X-A, Y-A); GT=GMI', initial: EXC_AB_CD, steps: [record(10, 'IS_EX', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 260, timers: { b: 250, c: 0, e: 260 }, forward: allBut('c'), queries: [] } },
  { name: 'EXCLUDE(X,Y) + ALLOW(A) -> EXCLUDE(X+A, Y-A); (A)=GMI', initial: EXC_AB_CD, steps: [record(10, 'ALLOW', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 250, timers: { a: 250, b: 260, c: 260, d: 0, e: 260 }, forward: allBut('d'), queries: [] } },
  { name: 'EXCLUDE(X,Y) + BLOCK(A) -> EXCLUDE(X+(A-Y), Y); (A-X-Y)=GT; Q(G,A-Y)', initial: EXC_AB_CD, steps: [record(10, 'BLOCK', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 250, timers: { a: 250, b: 2, c: 0, d: 0, e: 2 }, forward: allBut('c', 'd'), queries: ['10s vN G[b,e]'] } },
  { name: 'EXCLUDE(X,Y) + TO_EX(A) -> EXCLUDE(A-Y, Y*A); (A-X-Y)=GT; Delete(X-A, Y-A); Q(G,A-Y); GT=GMI', initial: EXC_AB_CD, steps: [record(10, 'TO_EX', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 260, timers: { b: 2, c: 0, e: 2 }, forward: allBut('c'), queries: ['10s vN G[b,e]'] } },
  { name: 'EXCLUDE(X,Y) + TO_IN(A) -> EXCLUDE(X+A, Y-A); (A)=GMI; Q(G,X-A); Q(G)', initial: EXC_AB_CD, steps: [record(10, 'TO_IN', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 2, timers: { a: 2, b: 260, c: 260, d: 0, e: 260 }, forward: allBut('d'), queries: ['10s vN G', '10s vN G[a]'] } },
  // No state: INCLUDE({})
  { name: 'no state + IS_IN(a) -> INCLUDE(a)', initial: 'none', steps: [record(10, 'IS_IN', ['a'])], expect: { mode: 'include', groupTimer: null, timers: { a: 260 }, forward: ['a'], queries: [] } },
  { name: 'no state + IS_EX({}) -> EXCLUDE({}, {}): every source', initial: 'none', steps: [record(10, 'IS_EX', [])], expect: { mode: 'exclude', groupTimer: 260, timers: {}, forward: ALL, queries: [] } },
  { name: 'no state + TO_EX(a) -> EXCLUDE({}, {a}): all but a', initial: 'none', steps: [record(10, 'TO_EX', ['a'])], expect: { mode: 'exclude', groupTimer: 260, timers: { a: 0 }, forward: allBut('a'), queries: [] } },
  { name: 'no state + TO_IN({}) -> no state, no query', initial: 'none', steps: [record(10, 'TO_IN', [])], expect: { mode: null, forward: [], queries: [] } },
  { name: 'no state + BLOCK(a) -> no state, no query', initial: 'none', steps: [record(10, 'BLOCK', ['a'])], expect: { mode: null, forward: [], queries: [] } },
  { name: 'INCLUDE(A) + IS_IN({}) -> unchanged', initial: INC_AB, steps: [record(10, 'IS_IN', [])], expect: { mode: 'include', timers: { a: 250, b: 250 }, forward: ['a', 'b'], queries: [] } },
  { name: 'INCLUDE(A) + TO_IN({}) (last source-specific listener leaves) -> Q(G,A), then A times out', initial: INC_AB, steps: [record(10, 'TO_IN', []), advanceTo(12)], expect: { mode: null, forward: [], queries: ['10s vN G[a,b]', '11s vN G[a,b]'] } },
];

/** §6.5, §6.6.3, §6.6.1: timers running out, last member queries and their S flag, a non-querier. */
export const TIMER_ROWS: Row[] = [
  { name: 'EXCLUDE -> INCLUDE on group timer expiry, keeping the sources whose timers run', initial: EXC_AB_CD, steps: [record(10, 'ALLOW', ['a']), advanceTo(260)], expect: { mode: 'include', groupTimer: null, timers: { a: 10 }, forward: ['a'], queries: [] } },
  { name: 'EXCLUDE group timer expiry with no running source timer -> no state', initial: { exclude: [[], ['c']] }, steps: [advanceTo(260)], expect: { mode: null, forward: [], queries: [] } },
  { name: 'EXCLUDE source timer expiry -> the source joins the exclusion list', initial: EXC_AB_CD, steps: [record(10, 'IS_EX', ['a', 'b', 'c', 'd']), advanceTo(260)], expect: { mode: 'exclude', groupTimer: 10, timers: { a: 0, b: 0, c: 0, d: 0 }, forward: allBut('a', 'b', 'c', 'd'), queries: [] } },
  { name: 'INCLUDE source timer expiry -> the source is deleted', initial: INC_AB, steps: [record(10, 'ALLOW', ['b']), advanceTo(260)], expect: { mode: 'include', groupTimer: null, timers: { b: 10 }, forward: ['b'], queries: [] } },
  { name: 'INCLUDE last source timer expiry -> no state', initial: INC_AB, steps: [advanceTo(260)], expect: { mode: null, forward: [], queries: [] } },
  { name: 'EXCLUDE + TO_IN({}) (last listener leaves): group query, a retransmission 1 s later, gone after LMQT', initial: { exclude: [[], []] }, steps: [record(10, 'TO_IN', []), advanceTo(12)], expect: { mode: null, forward: [], queries: ['10s vN G', '11s vN G'] } },
  { name: 'a report between last member queries: the retransmission carries S', initial: { exclude: [[], []] }, steps: [record(10, 'TO_IN', []), record(10.5, 'IS_EX', []), advanceTo(12)], expect: { mode: 'exclude', groupTimer: 258.5, timers: {}, forward: ALL, queries: ['10s vN G', '11s vN G S'] } },
  { name: 'BLOCK(a): source query and its retransmission, then a times out', initial: INC_AB, steps: [record(10, 'BLOCK', ['a']), advanceTo(12)], expect: { mode: 'include', timers: { b: 248 }, forward: ['b'], queries: ['10s vN G[a]', '11s vN G[a]'] } },
  { name: 'a source refreshed between source queries moves to the query with S', initial: INC_AB, steps: [record(10, 'BLOCK', ['a', 'b']), record(10.5, 'ALLOW', ['a']), advanceTo(12)], expect: { mode: 'include', timers: { a: 258.5 }, forward: ['a'], queries: ['10s vN G[a,b]', '11s vN G[a] S', '11s vN G[b]'] } },
  { name: 'a source whose timer is already below LMQT is not queried again', initial: INC_AB, steps: [record(10, 'BLOCK', ['a']), record(11.5, 'BLOCK', ['a'])], expect: { mode: 'include', timers: { a: 0.5, b: 248.5 }, forward: ['a', 'b'], queries: ['10s vN G[a]', '11s vN G[a]'] } },
  { name: 'non-querier: EXCLUDE + BLOCK(A): (A-X-Y) take the group timer, nothing lowered', querier: false, initial: EXC_AB_CD, steps: [record(10, 'BLOCK', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 250, timers: { a: 250, b: 250, c: 0, d: 0, e: 250 }, forward: allBut('c', 'd'), queries: [] } },
  { name: 'non-querier: EXCLUDE + TO_EX(A): (A-X-Y) take the group timer before it is reset to GMI', querier: false, initial: EXC_AB_CD, steps: [record(10, 'TO_EX', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 260, timers: { b: 250, c: 0, e: 250 }, forward: allBut('c'), queries: [] } },
  { name: 'non-querier: EXCLUDE + TO_IN(A): no group query, the group timer runs on', querier: false, initial: EXC_AB_CD, steps: [record(10, 'TO_IN', ['b', 'c', 'e'])], expect: { mode: 'exclude', groupTimer: 250, timers: { a: 250, b: 260, c: 260, d: 0, e: 260 }, forward: allBut('d'), queries: [] } },
  { name: 'non-querier: BLOCK sends nothing and lowers nothing', querier: false, initial: INC_AB, steps: [record(10, 'BLOCK', ['a'])], expect: { mode: 'include', timers: { a: 250, b: 250 }, forward: ['a', 'b'], queries: [] } },
  { name: "non-querier: the querier's Q(G,a) without S lowers a's timer to LMQT", querier: false, initial: INC_AB, steps: [otherQuery(10, ['a'], false)], expect: { mode: 'include', timers: { a: 2, b: 250 }, forward: ['a', 'b'], queries: [] } },
  { name: "non-querier: the querier's Q(G,a) with S lowers nothing", querier: false, initial: INC_AB, steps: [otherQuery(10, ['a'], true)], expect: { mode: 'include', timers: { a: 250, b: 250 }, forward: ['a', 'b'], queries: [] } },
  { name: "non-querier: the querier's Q(G) without S lowers the group timer to LMQT", querier: false, initial: EXC_AB_CD, steps: [otherQuery(10, [], false), advanceTo(12)], expect: { mode: 'include', timers: { a: 248, b: 248 }, forward: ['a', 'b'], queries: [] } },
];

/** RFC 3376 §7.3.2 / RFC 3810 §8.3.2: older hosts on the segment (IGMPv1/v2, MLDv1). "vO" is IGMPv2 / MLDv1. */
export const COMPATIBILITY_ROWS: Row[] = [
  { name: 'older report -> IS_EX({}) in the older compatibility mode', initial: 'none', steps: [olderReport(10)], expect: { mode: 'exclude', groupTimer: 260, timers: {}, forward: ALL, queries: [], compatibility: 2 } },
  { name: 'older leave after an older report -> TO_IN({}): older group query, gone after LMQT', initial: 'none', steps: [olderReport(0), olderLeave(10), advanceTo(12)], expect: { mode: null, forward: [], queries: ['10s vO G', '11s vO G'] } },
  { name: 'BLOCK is ignored while older hosts are present', initial: 'none', steps: [olderReport(0), record(10, 'BLOCK', ['a'])], expect: { mode: 'exclude', groupTimer: 250, timers: {}, forward: ALL, queries: [], compatibility: 2 } },
  { name: "TO_EX(a) is taken as TO_EX({}) while older hosts are present", initial: 'none', steps: [olderReport(0), record(10, 'TO_EX', ['a'])], expect: { mode: 'exclude', groupTimer: 260, timers: {}, forward: ALL, queries: [], compatibility: 2 } },
  { name: 'the older mode ends with the older host present timer; records count in full again', initial: 'none', steps: [olderReport(0), record(200, 'IS_EX', []), record(261, 'BLOCK', ['a'])], expect: { mode: 'exclude', groupTimer: 199, timers: { a: 2 }, forward: ALL, queries: ['261s vN G[a]'], compatibility: 'newest' } },
  { name: 'older leave without older hosts -> TO_IN({}) answered with a newest-version group query', initial: { exclude: [[], []] }, steps: [olderLeave(10)], expect: { mode: 'exclude', groupTimer: 2, timers: {}, forward: ALL, queries: ['10s vN G'], compatibility: 'newest' } },
  { name: 'an interface configured for the older version reads records in the older mode: BLOCK ignored', version: { ipv4: 2, ipv6: 1 }, initial: { exclude: [[], []] }, steps: [record(10, 'BLOCK', ['a'])], expect: { mode: 'exclude', groupTimer: 250, timers: {}, forward: ALL, queries: [], compatibility: 2 } },
  { name: 'older report refreshes an EXCLUDE group and empties its exclusion list', initial: EXC_AB_CD, steps: [olderReport(10)], expect: { mode: 'exclude', groupTimer: 260, timers: {}, forward: ALL, queries: [], compatibility: 2 } },
];

/** IGMPv1 only (MLD has no third version). */
export const IGMPV1_ROWS: Row[] = [
  { name: 'IGMPv1 report -> IS_EX({}) in v1 mode', initial: 'none', steps: [olderReport(10, true)], expect: { mode: 'exclude', groupTimer: 260, timers: {}, forward: ALL, queries: [], compatibility: 1 } },
  { name: 'IGMPv2 leave is ignored in v1 mode (v1 hosts send none and would be cut off)', initial: 'none', steps: [olderReport(0, true), olderLeave(10)], expect: { mode: 'exclude', groupTimer: 250, timers: {}, forward: ALL, queries: [], compatibility: 1 } },
  { name: 'TO_IN({}) in v1 mode gets a v2 group query (IGMPv1 has none; v1 hosts answer any query)', initial: 'none', steps: [olderReport(0, true), record(10, 'TO_IN', [])], expect: { mode: 'exclude', groupTimer: 2, timers: {}, forward: ALL, queries: ['10s v2 G'], compatibility: 1 } },
];

export function setUp(family: AddressFamily, initial: Initial): Step[] {
  if (initial === 'none') return [];
  if ('include' in initial) return [record(0, 'IS_IN', initial.include)];
  const [x, y] = initial.exclude;
  return [record(0, 'IS_EX', y), ...(x.length > 0 ? [record(0, 'ALLOW', x)] : [])];
}

