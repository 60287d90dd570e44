import { isMulticastAddress, parseIpAddress, type AddressFamily } from '@mcr/relay-native';
import { NEWEST_VERSION, isGeneralQuery, type ListenerMessage, type ListenerQuery, type ListenerVersion, type RecordType } from './listener-messages.js';
import type { ProtocolIntervals } from './protocol-intervals.js';
import { specificQuery } from './querier-queries.js';

// The router side of IGMPv3 (RFC 3376 §6, §7) and MLDv2 (RFC 3810 §7, §8) for one interface and one
// family: which groups have listeners on the segment, from which sources they want traffic, and
// which queries a querier sends to find out whether the last listener left. Older-version reports
// (IGMPv1/v2, MLDv1) are translated into the newest version's records, with the group held in that
// version's compatibility mode while such hosts are around.
//
// Nothing here reads a clock or a socket: every call takes `now` (milliseconds on any monotonic
// clock), timers are deadlines on that clock, and the queries to send come back as values with the
// time they are due. `advance(now)` fires what has come due; `nextDeadline()` says when to call it.

export type FilterMode = 'include' | 'exclude';

interface SourceState {
  /** Deadline; null for a source in EXCLUDE mode's exclusion list (its timer is "zero": not forwarded). */
  timer: number | null;
  /** Group-and-source-specific queries still to send for this source (§6.6.3.2). */
  retransmissions: number;
  nextQueryAt: number | null;
}

interface GroupState {
  mode: FilterMode;
  /** Deadline of the group timer; only EXCLUDE mode runs it. */
  groupTimer: number | null;
  sources: Map<string, SourceState>;
  /** Older Version Host Present timers by version (§7.3.2): deadlines. */
  olderHostPresent: Map<ListenerVersion, number>;
  /** Group-specific queries still to send (§6.6.3.1). */
  groupRetransmissions: number;
  nextGroupQueryAt: number | null;
}

/** A query to send, and when (`at` equals the `now` it was produced for, or a later deadline). */
export interface ScheduledQuery {
  at: number;
  query: ListenerQuery;
}

/** What the data plane needs for a group: the sources to send (INCLUDE) or all but some (EXCLUDE). */
export type GroupForwarding = { mode: 'include'; sources: string[] } | { mode: 'exclude'; blocked: string[] };

/** A group's state as tests and `mcr` output show it: timers as milliseconds left. */
export interface GroupSnapshot {
  mode: FilterMode;
  /** The version whose rules apply to the group (older hosts present lower it). */
  compatibility: ListenerVersion;
  /** Null in INCLUDE mode, which runs no group timer. */
  groupTimerMs: number | null;
  /** Each source's timer; 0 for a source EXCLUDE mode does not forward. */
  sources: Record<string, number>;
}

export interface ListenerTableOptions {
  family: AddressFamily;
  /** The version configured for the interface: the newest whose reports are taken at face value. */
  version: ListenerVersion;
  intervals: ProtocolIntervals;
  /** Whether this router is the querier: only the querier sends queries and lowers timers for them. */
  querier: boolean;
}

export class ListenerTable {
  private readonly groups = new Map<string, GroupState>();
  private querier: boolean;
  private intervals: ProtocolIntervals;

  constructor(private readonly options: ListenerTableOptions) {
    this.querier = options.querier;
    this.intervals = options.intervals;
  }

  /** New timer values (the querier's adopted robustness and query interval): they apply from the next timer set on. */
  setIntervals(intervals: ProtocolIntervals): void {
    this.intervals = intervals;
  }

  /** Becomes or stops being the querier; a non-querier sends nothing, so its pending queries are dropped. */
  setQuerier(querier: boolean): void {
    this.querier = querier;
    if (querier) return;
    for (const entry of this.groups.values()) {
      entry.groupRetransmissions = 0;
      entry.nextGroupQueryAt = null;
      for (const source of entry.sources.values()) Object.assign(source, { retransmissions: 0, nextQueryAt: null });
    }
  }

  /**
   * Takes a message received on the interface at `now` (whatever came due before is fired first) and
   * returns the queries to send: the immediate ones at `now`; their retransmissions come from `advance`.
   */
  receive(message: ListenerMessage, now: number): ScheduledQuery[] {
    const out = this.advance(now);
    switch (message.kind) {
      case 'query':
        this.lowerTimersForQuery(message, now);
        break;
      case 'report':
        if (this.isGroup(message.group) && message.version < NEWEST_VERSION[this.options.family]) {
          const entry = this.entry(message.group);
          entry.olderHostPresent.set(message.version, now + this.intervals.olderHostPresentMs);
          this.applyRecord(message.group, entry, 'IS_EX', [], now, out);
        }
        break;
      case 'leave':
        // An IGMPv1 host sends no leaves and answers every query, so a leave while v1 hosts are
        // present must not end the group (§7.3.2).
        if (this.isGroup(message.group) && !(this.options.family === 'ipv4' && this.compatibility(this.groups.get(message.group), now) === 1)) {
          this.applyRecord(message.group, this.entry(message.group), 'TO_IN', [], now, out);
        }
        break;
      case 'records':
        for (const record of message.records) {
          if (this.isGroup(record.group)) this.applyRecord(record.group, this.entry(record.group), record.type, record.sources, now, out);
        }
        break;
    }
    return out;
  }

  /** Fires every timer and retransmission due by `now`, in time order; returns the queries that fell due. */
  advance(now: number): ScheduledQuery[] {
    const out: ScheduledQuery[] = [];
    for (let t = this.nextDeadline(); t !== null && t <= now; t = this.nextDeadline()) this.fireAt(t, out);
    return out;
  }

  /** The earliest deadline of any timer or scheduled query; null when nothing is pending. */
  nextDeadline(): number | null {
    let next: number | null = null;
    const consider = (t: number | null) => {
      if (t !== null && (next === null || t < next)) next = t;
    };
    for (const entry of this.groups.values()) {
      consider(entry.groupTimer);
      consider(entry.nextGroupQueryAt);
      for (const t of entry.olderHostPresent.values()) consider(t);
      for (const source of entry.sources.values()) {
        consider(source.timer);
        consider(source.nextQueryAt);
      }
    }
    return next;
  }

  /** §6.3: whether traffic from `source` to `group` has a listener on this segment. */
  shouldForward(group: string, source: string): boolean {
    const entry = this.groups.get(group);
    if (!entry) return false;
    const record = entry.sources.get(source);
    return entry.mode === 'include' ? record !== undefined : record?.timer !== null;
  }

  forwarding(group: string): GroupForwarding | null {
    const entry = this.groups.get(group);
    if (!entry) return null;
    if (entry.mode === 'include') return { mode: 'include', sources: [...entry.sources.keys()] };
    return { mode: 'exclude', blocked: [...entry.sources].filter(([, s]) => s.timer === null).map(([source]) => source) };
  }

  /** The groups with listeners. */
  groupAddresses(): string[] {
    return [...this.groups.keys()];
  }

  snapshot(group: string, now: number): GroupSnapshot | null {
    const entry = this.groups.get(group);
    if (!entry) return null;
    return {
      mode: entry.mode,
      compatibility: this.compatibility(entry, now),
      groupTimerMs: entry.groupTimer === null ? null : entry.groupTimer - now,
      sources: Object.fromEntries([...entry.sources].map(([source, s]) => [source, s.timer === null ? 0 : s.timer - now])),
    };
  }

  private isGroup(group: string): boolean {
    const address = parseIpAddress(group);
    return address !== null && address.family === this.options.family && isMulticastAddress(address);
  }

  /** The group's state; a group without one is INCLUDE({}) (§6.4), created here for the record to act on. */
  private entry(group: string): GroupState {
    let entry = this.groups.get(group);
    if (!entry) {
      entry = { mode: 'include', groupTimer: null, sources: new Map(), olderHostPresent: new Map(), groupRetransmissions: 0, nextGroupQueryAt: null };
      this.groups.set(group, entry);
    }
    return entry;
  }

  /** §7.3.2: the lowest version with hosts present, never above the interface's version. */
  private compatibility(entry: GroupState | undefined, now: number): ListenerVersion {
    let version = this.options.version;
    for (const [older, deadline] of entry?.olderHostPresent ?? []) if (deadline > now && older < version) version = older;
    return version;
  }

  /** The version of the specific queries a group gets: IGMPv1 has none, so v1 groups get v2's (v1 hosts take any query as general). */
  private queryVersion(entry: GroupState, now: number): ListenerVersion {
    const version = this.compatibility(entry, now);
    return this.options.family === 'ipv4' && version === 1 ? 2 : version;
  }

  /** §6.4.1 (current-state records) and §6.4.2 (state-change records), then the querier's queries (§6.6.3). */
  private applyRecord(group: string, entry: GroupState, type: RecordType, recordSources: readonly string[], now: number, out: ScheduledQuery[]): void {
    const older = this.compatibility(entry, now) < NEWEST_VERSION[this.options.family];
    // §7.3.2, RFC 3810 §8.3.2: older hosts cannot see the sources others block or exclude.
    if (older && type === 'BLOCK') return this.dropIfEmpty(group, entry);
    const B = new Set(older && type === 'TO_EX' ? [] : recordSources);
    const gmi = now + this.intervals.groupMembershipMs;
    const A = entry.sources;
    const fresh = (timer: number | null): SourceState => ({ timer, retransmissions: 0, nextQueryAt: null });
    const refresh = (source: string) => {
      const record = A.get(source);
      if (record) record.timer = gmi;
      else A.set(source, fresh(gmi));
    };
    let querySources: string[] = [];
    let queryGroup = false;

    if (entry.mode === 'include') {
      switch (type) {
        case 'IS_IN':
        case 'ALLOW': // INCLUDE(A+B); (B)=GMI
          B.forEach(refresh);
          break;
        case 'TO_IN': // INCLUDE(A+B); (B)=GMI; Q(G,A-B)
          querySources = [...A.keys()].filter((a) => !B.has(a));
          B.forEach(refresh);
          break;
        case 'BLOCK': // INCLUDE(A); Q(G,A*B)
          querySources = [...B].filter((b) => A.has(b));
          break;
        case 'IS_EX':
        case 'TO_EX': // EXCLUDE(A*B, B-A); (B-A)=0; Delete(A-B); [TO_EX: Q(G,A*B)]; Group Timer=GMI
          if (type === 'TO_EX') querySources = [...B].filter((b) => A.has(b));
          for (const a of [...A.keys()]) if (!B.has(a)) A.delete(a);
          for (const b of B) if (!A.has(b)) A.set(b, fresh(null));
          entry.mode = 'exclude';
          entry.groupTimer = gmi;
          break;
      }
    } else {
      const requested = [...A].filter(([, s]) => s.timer !== null).map(([source]) => source); // X
      const excluded = new Set([...A].filter(([, s]) => s.timer === null).map(([source]) => source)); // Y
      switch (type) {
        case 'IS_IN':
        case 'ALLOW': // EXCLUDE(X+A, Y-A); (A)=GMI
          B.forEach(refresh);
          break;
        case 'TO_IN': // EXCLUDE(X+A, Y-A); (A)=GMI; Q(G,X-A); Q(G)
          querySources = requested.filter((x) => !B.has(x));
          queryGroup = true;
          B.forEach(refresh);
          break;
        case 'BLOCK': // EXCLUDE(X+(A-Y), Y); (A-X-Y)=Group Timer; Q(G,A-Y)
          for (const b of B) if (!A.has(b)) A.set(b, fresh(entry.groupTimer));
          querySources = [...B].filter((b) => !excluded.has(b));
          break;
        case 'IS_EX':
        case 'TO_EX': {
          // IS_EX: EXCLUDE(A-Y, Y*A); (A-X-Y)=GMI; Delete(X-A), Delete(Y-A); Group Timer=GMI
          // TO_EX: the same but (A-X-Y)=Group Timer, and Q(G,A-Y)
          const newTimer = type === 'IS_EX' ? gmi : entry.groupTimer;
          for (const s of [...A.keys()]) if (!B.has(s)) A.delete(s);
          for (const b of B) if (!A.has(b)) A.set(b, fresh(newTimer));
          if (type === 'TO_EX') querySources = [...B].filter((b) => !excluded.has(b));
          entry.groupTimer = gmi;
          break;
        }
      }
    }
    if (this.querier) this.scheduleQueries(group, entry, older ? [] : querySources, queryGroup, now, out);
    this.dropIfEmpty(group, entry);
  }

  /** A group in INCLUDE mode with no sources has no listener left: its record goes (§6.5). */
  private dropIfEmpty(group: string, entry: GroupState): void {
    if (entry.mode === 'include' && entry.sources.size === 0) this.groups.delete(group);
  }

  /**
   * "Send Q(G)" and "Send Q(G,X)" (§6.6.3): lower the group timer, or the timers of the sources above
   * LMQT, to LMQT, and send last member query count queries, one every last member query interval.
   */
  private scheduleQueries(group: string, entry: GroupState, sources: string[], queryGroup: boolean, now: number, out: ScheduledQuery[]): void {
    const { lastMemberQueryTimeMs: lmqt, lastMemberQueryCount } = this.intervals;
    if (queryGroup) {
      if (entry.groupTimer !== null) entry.groupTimer = Math.min(entry.groupTimer, now + lmqt);
      entry.groupRetransmissions = lastMemberQueryCount;
      entry.nextGroupQueryAt = now;
    }
    for (const source of sources) {
      const record = entry.sources.get(source);
      if (!record || record.timer === null || record.timer - now <= lmqt) continue;
      Object.assign(record, { timer: now + lmqt, retransmissions: lastMemberQueryCount, nextQueryAt: now });
    }
    this.sendDueQueries(group, entry, now, out);
  }

  /**
   * The group's queries due at `t`. The S flag tells other routers not to lower their timers: it is set
   * for a group query when the group timer has been refreshed above LMQT since, and sources are split
   * into one query with S set (timers refreshed above LMQT) and one without (§6.6.3.1, §6.6.3.2).
   */
  private sendDueQueries(group: string, entry: GroupState, t: number, out: ScheduledQuery[]): void {
    const { lastMemberQueryTimeMs: lmqt, lastMemberQueryIntervalMs: lmqi } = this.intervals;
    const version = this.queryVersion(entry, t);
    if (entry.nextGroupQueryAt !== null && entry.nextGroupQueryAt <= t) {
      const suppress = entry.groupTimer !== null && entry.groupTimer - t > lmqt;
      out.push({ at: t, query: specificQuery(version, this.intervals, group, [], suppress) });
      entry.groupRetransmissions--;
      entry.nextGroupQueryAt = entry.groupRetransmissions > 0 ? t + lmqi : null;
    }
    const suppressed: string[] = [];
    const plain: string[] = [];
    for (const [source, record] of entry.sources) {
      if (record.nextQueryAt === null || record.nextQueryAt > t) continue;
      if (record.timer === null) {
        Object.assign(record, { retransmissions: 0, nextQueryAt: null });
        continue;
      }
      (record.timer - t > lmqt ? suppressed : plain).push(source);
      record.retransmissions--;
      record.nextQueryAt = record.retransmissions > 0 ? t + lmqi : null;
    }
    if (suppressed.length > 0) out.push({ at: t, query: specificQuery(version, this.intervals, group, suppressed, true) });
    if (plain.length > 0) out.push({ at: t, query: specificQuery(version, this.intervals, group, plain, false) });
  }

  /** Everything due at `t`: expiries first (§6.5, §6.2.3), then the queries for what is left. */
  private fireAt(t: number, out: ScheduledQuery[]): void {
    for (const [group, entry] of [...this.groups]) {
      for (const [version, deadline] of [...entry.olderHostPresent]) if (deadline <= t) entry.olderHostPresent.delete(version);
      for (const [source, record] of [...entry.sources]) {
        if (record.timer === null || record.timer > t) continue;
        // INCLUDE: the source's listeners are gone. EXCLUDE: the source joins the exclusion list.
        if (entry.mode === 'include') entry.sources.delete(source);
        else Object.assign(record, { timer: null, retransmissions: 0, nextQueryAt: null });
      }
      if (entry.mode === 'exclude' && entry.groupTimer !== null && entry.groupTimer <= t) {
        // §6.5: no listener wants "all but Y" any longer; those asking for particular sources remain.
        for (const [source, record] of [...entry.sources]) if (record.timer === null) entry.sources.delete(source);
        Object.assign(entry, { mode: 'include', groupTimer: null, groupRetransmissions: 0, nextGroupQueryAt: null });
      }
      if (entry.mode === 'include' && entry.sources.size === 0) {
        this.groups.delete(group);
        continue;
      }
      this.sendDueQueries(group, entry, t, out);
    }
  }

  /**
   * §6.6.1: a query with the S flag clear, sent by the querier, makes every router lower the queried
   * group's timer, or the queried sources' timers, to LMQT, so non-queriers time out with the querier.
   */
  private lowerTimersForQuery(query: ListenerQuery, now: number): void {
    if (query.suppressRouterProcessing || isGeneralQuery(query)) return;
    const entry = this.groups.get(query.group);
    if (!entry) return;
    const lowered = now + this.intervals.lastMemberQueryTimeMs;
    if (query.sources.length === 0) {
      if (entry.groupTimer !== null) entry.groupTimer = Math.min(entry.groupTimer, lowered);
      return;
    }
    for (const source of query.sources) {
      const record = entry.sources.get(source);
      if (record && record.timer !== null) record.timer = Math.min(record.timer, lowered);
    }
  }
}
