// The listener scenarios' checks, pure: from what a run recorded (segments-run.ts) to violations and
// per-segment figures. Times are CLOCK_MONOTONIC ms throughout.
//   join:  every receiver's first packet comes within the join bound of its join;
//   leave: on every output segment, a group's packets stop within the leave bound of the leave
//          message of its last listener (and none arrives while nobody listens);
//   duplicates: no (stream, seq) twice on a segment, none at a receiver;
//   querier: mcr's `queriers` rows name the bridge querier while it runs, and mcr after it stops.
import type { Observation, ObservedData, ObservedMembership } from '@mcr/netns-lab';
import type { Row, Violation } from '../scenarios/report.js';
import type { SegmentsRunResult, SpellRecord } from './segments-run.js';

export interface Bounds {
  joinMs: number;
  leaveMs: number;
  /**
   * The membership bound: where the router can learn of a leave only when the group's membership timer
   * runs out, this applies instead of the leave bound, from the leave (or the host's stop). That is
   * when the last listener left without a leave message (an IGMPv2 / MLDv1 host whose report another
   * host suppressed sends none, RFC 2236 6, RFC 2710 4), and when the relay was not the querier on
   * that segment (a non-querier ignores leaves and waits for the querier's group-specific queries,
   * RFC 3376 6.4 and 6.6.1, which a Linux bridge querier sends only to the leaving host's port).
   */
  membershipMs: number;
}

/** Whether the relay was the querier on output segment `segment` at time `t` (absent: always). */
export type QuerierAt = (segment: number, t: number) => boolean;

/** A listener's membership on its segment: from its join to its leave message (or its stop, if none was seen). */
export interface Membership {
  segment: number;
  group: string;
  from: number;
  to: number;
  /** Whether its leave message was seen on the segment (else `to` is the receiver's stop). */
  leaveSeen: boolean;
  spell: SpellRecord;
}

/** IGMPv3 / MLDv2 record types that join a group (IS_EX, TO_EX) and that leave it (TO_IN, BLOCK), RFC 3376 4.2.12. */
const RECORDS = { join: [2, 4], leave: [3, 6] } as const;
/** The IGMPv1/v2 and MLDv1 message of each: a report, a leave (MLDv1 done). */
const MESSAGE = { join: 'report', leave: 'leave' } as const;

/** Whether `m` is `spell`'s receiver joining or leaving its group. */
export function membershipMessage(m: ObservedMembership, spell: SpellRecord, kind: 'join' | 'leave'): boolean {
  if (m.src !== (m.kind === 'igmp' ? spell.ip : spell.linkLocal)) return false;
  if (m.type === MESSAGE[kind]) return m.group === spell.group;
  if (m.type === 'v3report') return (m.records ?? []).some((r) => r.group === spell.group && (RECORDS[kind] as readonly number[]).includes(r.type));
  return false;
}

/** Each spell as a membership interval; the leave is the first leave message after the stop (the socket's close). */
export function memberships(spells: SpellRecord[], observed: Observation[][]): Membership[] {
  return spells
    .filter((s) => s.joinedMs !== null && s.stopMs !== null)
    .map((s) => {
      const msgs = (observed[s.segment] ?? []).filter((m): m is ObservedMembership => m.kind !== 'data');
      const leave = msgs.find((m) => m.t >= s.stopMs! && membershipMessage(m, s, 'leave'));
      return { segment: s.segment, group: s.group, from: s.joinedMs!, to: leave?.t ?? s.stopMs!, leaveSeen: leave !== undefined, spell: s };
    });
}

/** A time with at least one listener; `silent`: its last listener left without a leave message. */
export interface Span {
  from: number;
  to: number;
  silent: boolean;
}

/** Union of memberships, sorted. */
export function merge(intervals: { from: number; to: number; leaveSeen: boolean }[]): Span[] {
  const out: Span[] = [];
  for (const i of [...intervals].sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && i.from <= last.to) {
      if (i.to > last.to) Object.assign(last, { to: i.to, silent: !i.leaveSeen });
    } else out.push({ from: i.from, to: i.to, silent: !i.leaveSeen });
  }
  return out;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

export interface SegmentFigures {
  segment: number;
  group: string;
  joins: number;
  /** Receiver join delays (join -> its first packet), ms. */
  joinDelays: number[];
  /** Leave delays (last listener's leave message -> the segment's last packet), ms. */
  leaveDelays: number[];
  packets: number;
  duplicates: number;
}

export interface ListenerAnalysis {
  /** Memberships, and how many of them ended with a leave message seen on the segment (the others: at the receiver's stop). */
  memberships: number;
  leaveMessagesSeen: number;
  /** Last leaves judged by the membership bound: without a leave message, or while the relay was not the querier. */
  silentLeaves: number;
  nonQuerierLeaves: number;
  violations: Violation[];
  figures: SegmentFigures[];
  rows: Row[];
}

/** The join, leave and duplicate checks of a run, per output segment and group. */
export function analyseListeners(run: Pick<SegmentsRunResult, 'spells' | 'observed' | 'endMs' | 'streams'>, bounds: Bounds, label: string, querierAt: QuerierAt = () => true): ListenerAnalysis {
  const violations: Violation[] = [];
  const figures: SegmentFigures[] = [];
  for (const s of run.spells) {
    const who = `${label}: receiver ${s.ns} (${s.group})`;
    if (s.error) violations.push({ metric: 'receiver', value: 1, threshold: 0, message: `${who}: ${s.error}` });
    else if (s.firstMs === null) {
      violations.push({ metric: 'joinDelayMs', value: Infinity, threshold: bounds.joinMs, message: `${who}: joined and got nothing in ${r1(s.stopMs! - s.joinedMs!)} ms (join bound ${bounds.joinMs} ms)` });
    } else if (s.firstMs - s.joinedMs! > bounds.joinMs) {
      violations.push({ metric: 'joinDelayMs', value: s.firstMs - s.joinedMs!, threshold: bounds.joinMs, message: `${who}: first packet ${r1(s.firstMs - s.joinedMs!)} ms after its join > join bound ${bounds.joinMs} ms` });
    }
    if (s.duplicates > 0) violations.push({ metric: 'duplicates', value: s.duplicates, threshold: 0, message: `${who}: ${s.duplicates} duplicates` });
  }
  const ms = memberships(run.spells, run.observed);
  let silentLeaves = 0;
  let nonQuerierLeaves = 0;
  const groups = [...new Set(run.streams.map((s) => s.outGroup))];
  run.observed.forEach((obs, segment) => {
    for (const group of groups) {
      const data = obs.filter((o): o is ObservedData => o.kind === 'data' && o.group === group);
      const mine = ms.filter((m) => m.segment === segment && m.group === group);
      const spans = merge(mine);
      const where = `${label}: segment ${segment}, ${group}`;
      // Duplicates on the wire.
      const seen = new Set<string>();
      let dups = 0;
      for (const d of data) {
        const key = `${d.stream}:${d.seq}`;
        if (seen.has(key)) dups++;
        seen.add(key);
      }
      if (dups) violations.push({ metric: 'segmentDuplicates', value: dups, threshold: 0, message: `${where}: ${dups} packets reached the segment twice` });
      // Leave: the packets after each span's end, before the next span.
      const leaveDelays: number[] = [];
      const before = spans.length ? spans[0]!.from : Infinity;
      const early = data.filter((d) => d.t < before);
      if (early.length) {
        violations.push({ metric: 'unrequested', value: early.length, threshold: 0, message: `${where}: ${early.length} packets reached the segment before anyone listened (first at ${r1(early[0]!.t - before)} ms)` });
      }
      spans.forEach((span, i) => {
        const next = spans[i + 1]?.from ?? Infinity;
        const after = data.filter((d) => d.t > span.to && d.t < next);
        const delay = after.length ? after.at(-1)!.t - span.to : 0;
        const why = span.silent ? 'silently, without a leave message' : !querierAt(segment, span.to) ? 'while mcr was not the querier there' : undefined;
        const bound = why ? bounds.membershipMs : bounds.leaveMs;
        if (!why && (next - span.to > bounds.leaveMs || after.length)) leaveDelays.push(delay);
        if (span.silent) silentLeaves++;
        else if (why) nonQuerierLeaves++;
        if (delay > bound) {
          violations.push({ metric: 'leaveDelayMs', value: delay, threshold: bound,
            message: `${where}: packets reached the segment ${r1(delay)} ms after its last listener left (${why ? `${why}: membership bound ${bound}` : `leave bound ${bound}`} ms; ${after.length} packets after the leave)` });
        }
      });
      const joinDelays = mine.filter((m) => m.spell.firstMs !== null).map((m) => m.spell.firstMs! - m.spell.joinedMs!);
      figures.push({ segment, group, joins: mine.length, joinDelays, leaveDelays, packets: data.length, duplicates: dups });
    }
  });
  const rows: Row[] = figures.map((f) => ({
    segment: f.segment,
    group: f.group,
    joins: f.joins,
    'join p50 ms': fmt(quantile(f.joinDelays, 0.5)),
    'join max ms': fmt(f.joinDelays.length ? Math.max(...f.joinDelays) : null),
    leaves: f.leaveDelays.length,
    'leave p50 ms': fmt(quantile(f.leaveDelays, 0.5)),
    'leave max ms': fmt(f.leaveDelays.length ? Math.max(...f.leaveDelays) : null),
    packets: f.packets,
    dup: f.duplicates,
  }));
  return { memberships: ms.length, leaveMessagesSeen: ms.filter((m) => m.leaveSeen).length, silentLeaves, nonQuerierLeaves, violations, figures, rows };
}

const fmt = (x: number | null) => (x === null ? null : r1(x));
export const LISTENER_COLUMNS = ['segment', 'group', 'joins', 'join p50 ms', 'join max ms', 'leaves', 'leave p50 ms', 'leave max ms', 'packets', 'dup'];

/**
 * QuerierAt from mcr's `queriers` samples: the state of the latest sample before `t` on the relay's
 * interface of each segment (before the first sample: not the querier).
 */
export function querierTimeline(samples: SegmentsRunResult['samples'], interfaces: string[], family: 'ipv4' | 'ipv6'): QuerierAt {
  return (segment, t) => {
    const ifname = interfaces[segment];
    let state: string | undefined;
    for (const s of samples) {
      if (s.t > t) break;
      state = s.queriers?.find((q) => q.interface === ifname && q.family === family)?.state ?? state;
    }
    return state === 'querier';
  };
}

export interface QuerierExpectation {
  /** The relay's interface on the segment with the bridge querier, and the bridge's address (IPv4 or link-local IPv6). */
  interface: string;
  bridgeAddress: string;
  /** When the bridge querier stopped, ms (CLOCK_MONOTONIC), and from when it must have been heard. */
  stoppedAt: number;
  heardBy: number;
  /** The relay's other querier present interval and the bridge's query interval, ms. */
  otherQuerierPresentMs: number;
  bridgeQueryIntervalMs: number;
  slackMs: number;
  /** The relay's interfaces where nobody else queries: mcr is the querier there all along. */
  aloneOn: string[];
}

/** The querier election and take-over as seen in mcr's `queriers` rows. */
export function analyseQuerier(samples: SegmentsRunResult['samples'], e: QuerierExpectation, family: 'ipv4' | 'ipv6', label: string): { violations: Violation[]; summary: string } {
  const violations: Violation[] = [];
  const row = (s: SegmentsRunResult['samples'][number], ifname: string) => s.queriers?.find((q) => q.interface === ifname && q.family === family);
  const withRows = samples.filter((s) => s.queriers !== undefined);
  if (withRows.length === 0) {
    violations.push({ metric: 'queriers', value: 0, threshold: 1, message: `${label}: mcr stats has no "queriers" rows (${samples.length} samples)` });
    return { violations, summary: 'querier: no rows in mcr stats' };
  }
  const during = withRows.filter((s) => s.t >= e.heardBy && s.t < e.stoppedAt);
  const wrong = during.filter((s) => row(s, e.interface)?.state !== 'non-querier' || row(s, e.interface)?.querier !== e.bridgeAddress);
  if (wrong.length) {
    const w = row(wrong[0]!, e.interface);
    violations.push({ metric: 'querierElection', value: wrong.length, threshold: 0,
      message: `${label}: ${e.interface}: ${wrong.length} of ${during.length} samples while the bridge querier ${e.bridgeAddress} ran do not show mcr as non-querier under it (first: ${w ? `${w.state}, querier ${w.querier}` : 'no row'})` });
  }
  const afterStop = withRows.filter((s) => s.t >= e.stoppedAt);
  const first = afterStop.find((s) => row(s, e.interface)?.state === 'querier');
  const takeover = first ? first.t - e.stoppedAt : null;
  const latest = e.otherQuerierPresentMs + e.slackMs;
  const earliest = e.otherQuerierPresentMs - e.bridgeQueryIntervalMs - e.slackMs;
  if (takeover === null || takeover > latest) {
    violations.push({ metric: 'querierTakeoverMs', value: takeover ?? Infinity, threshold: latest,
      message: `${label}: ${e.interface}: mcr ${takeover === null ? 'never became' : `became the querier ${r1(takeover)} ms after`} the bridge querier stopped${takeover === null ? '' : ''} (expected within the other querier present interval ${e.otherQuerierPresentMs} ms + ${e.slackMs} ms)` });
  } else if (takeover < earliest) {
    violations.push({ metric: 'querierTakeoverMs', value: takeover, threshold: earliest,
      message: `${label}: ${e.interface}: mcr took over ${r1(takeover)} ms after the bridge querier stopped, before its other querier present interval could run out (>= ${earliest} ms)` });
  } else {
    const back = afterStop.filter((s) => s.t > first!.t && row(s, e.interface)?.state !== 'querier');
    if (back.length) violations.push({ metric: 'querierFlap', value: back.length, threshold: 0, message: `${label}: ${e.interface}: after taking over, ${back.length} samples show mcr as non-querier again` });
  }
  for (const ifname of e.aloneOn) {
    const not = withRows.filter((s) => s.t >= e.heardBy && row(s, ifname)?.state !== 'querier');
    if (not.length) violations.push({ metric: 'querierAlone', value: not.length, threshold: 0, message: `${label}: ${ifname}: ${not.length} samples do not show mcr as the querier where nobody else queries` });
  }
  const summary = `querier on ${e.interface}: non-querier under ${e.bridgeAddress} in ${during.length - wrong.length} of ${during.length} samples; took over ${takeover === null ? 'never' : `${r1(takeover)} ms`} after the bridge querier stopped (expected ${Math.max(0, earliest)}..${latest} ms)`;
  return { violations, summary };
}
