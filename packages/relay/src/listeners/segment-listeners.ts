import type { AddressFamily } from '@mcr/relay-native';
import type { Logger } from '../log.js';
import { buildIgmp, parseIgmp } from './igmp-codec.js';
import type { ListenerMessage, ListenerQuery, ListenerVersion, RecordType } from './listener-messages.js';
import { LISTENER_LIMITS, type ListenerSettings } from './listener-settings.js';
import { ListenerTable, type GroupForwarding, type ScheduledQuery } from './listener-table.js';
import { buildMld, parseMld } from './mld-codec.js';
import { QuerierElection, type QuerierEvent } from './querier-election.js';
import { queryDestination } from './querier-queries.js';

// One segment's listeners at run time: the interface's IGMP or MLD socket, the router-side listener
// table and the querier election, driven by the monotonic clock. The protocol modules decide; this
// module only feeds them what arrives, sends what they ask for and wakes them when a timer is due.

/** What a listener socket hands over: one IGMP message or ICMPv6 (MLD) message and its IP facts. */
export interface ListenerPacketIn {
  source: string;
  destination: string;
  payload: Uint8Array;
}

/** The socket a segment reads reports and queries from and sends its queries on. */
export interface ListenerTransport {
  send(message: { source: string; destination: string; payload: Buffer }): void;
  close(): void;
}

export interface TransportOptions {
  ifindex: number;
  interfaceName: string;
  family: AddressFamily;
  onPacket: (packet: ListenerPacketIn) => void;
  onError: (error: Error) => void;
}

export type OpenTransport = (options: TransportOptions) => ListenerTransport;

export interface SegmentOptions {
  interface: string;
  family: AddressFamily;
  ifindex: number;
  /** The relay's address on the segment: IPv4, or the IPv6 link-local one (queries come from it). */
  ownAddress: string;
  settings: ListenerSettings;
  /** TEST-ONLY: leaves and TO_IN/BLOCK records are dropped unread (the listeners scenario's negative control). */
  ignoreLeaves: boolean;
  open: OpenTransport;
  log: Logger;
  /** The set of groups or a group's sources changed: the data plane's gates must follow. */
  onChange: () => void;
}

/** Membership events by kind, as `mcr_membership_events_total` counts them. */
export interface MembershipEvents {
  join: number;
  leave: number;
  expire: number;
}

export interface SegmentCounters {
  received: number;
  /** Messages that did not parse (checksum, length, type), or came from an address the protocol refuses. */
  malformed: number;
  /** Leaves dropped by testOnly.ignoreLeaves. */
  ignored: number;
  /** Records for a new group while the table held LISTENER_LIMITS.maxGroupsPerSegment: dropped. */
  tableFull: number;
  queriesSent: number;
  sendErrors: number;
}

/** One row of `mcr stats --json`'s `listeners`. */
export interface ListenerRow {
  interface: string;
  family: AddressFamily;
  group: string;
  /** null: the row of the group as a whole (EXCLUDE mode and its group timer). */
  source: string | null;
  mode: 'include' | 'exclude';
  /** Time left on the row's timer; 0 for a source EXCLUDE mode blocks; null when no timer runs. */
  expiresInMs: number | null;
  lastReporter: string | null;
}

/** One row of `mcr stats --json`'s `queriers`. */
export interface QuerierRow {
  interface: string;
  family: AddressFamily;
  state: 'querier' | 'non-querier';
  /** The address of the segment's querier: this relay's own, or the one it defers to. */
  querier: string;
  version: number;
  /** What the segment's socket brought and sent (received, malformed, ignored, tableFull, queriesSent, sendErrors). */
  messages: SegmentCounters;
}

const LEAVING_RECORDS: ReadonlySet<RecordType> = new Set(['TO_IN', 'BLOCK']);
const LINK_LOCAL6 = /^fe[89ab][0-9a-f]:/i;

export class SegmentListeners {
  readonly events: MembershipEvents = { join: 0, leave: 0, expire: 0 };
  readonly counters: SegmentCounters = { received: 0, malformed: 0, ignored: 0, tableFull: 0, queriesSent: 0, sendErrors: 0 };
  private readonly table: ListenerTable;
  private readonly election: QuerierElection;
  private readonly transport: ListenerTransport;
  private readonly lastReporter = new Map<string, string>();
  /** Groups a host asked to leave (a leave, TO_IN or BLOCK) and nobody has reported for since: their end is a leave, not an expiry. */
  private readonly leaving = new Set<string>();
  /** The version of the other querier's last query, while one is present. */
  private otherQuerierVersion: ListenerVersion | null = null;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SegmentOptions) {
    const { family, settings } = options;
    const version = (family === 'ipv4' ? settings.igmpVersion : settings.mldVersion) as ListenerVersion;
    const now = this.now();
    this.election = new QuerierElection({ family, ownAddress: options.ownAddress, mode: settings.querier, version, settings, now });
    this.table = new ListenerTable({ family, version, intervals: this.election.intervals, querier: this.election.isQuerier });
    this.transport = options.open({
      ifindex: options.ifindex,
      interfaceName: options.interface,
      family,
      onPacket: (packet) => this.receiveSafely(packet),
      onError: (err) => options.log.warn(`${this.name}: listener socket: ${err.message}`, { interface: options.interface, family }),
    });
    this.onTimer(); // the startup queries are due now
  }

  get name(): string {
    return `${this.options.family === 'ipv4' ? 'IGMP' : 'MLD'} on ${this.options.interface}`;
  }

  get ifindex(): number {
    return this.options.ifindex;
  }

  get ownAddress(): string {
    return this.options.ownAddress;
  }

  /** What the data plane may send to `group` on this segment; null: nobody listens. */
  forwarding(group: string): GroupForwarding | null {
    return this.table.forwarding(group);
  }

  groups(): string[] {
    return this.table.groupAddresses();
  }

  rows(): ListenerRow[] {
    const now = this.now();
    const { interface: iface, family } = this.options;
    return this.table.groupAddresses().flatMap((group) => {
      const s = this.table.snapshot(group, now);
      if (!s) return [];
      const lastReporter = this.lastReporter.get(group) ?? null;
      const base = { interface: iface, family, group, mode: s.mode, lastReporter };
      const sources = Object.entries(s.sources).map(([source, ms]) => ({ ...base, source, expiresInMs: ms }));
      return s.mode === 'exclude' ? [{ ...base, source: null, expiresInMs: s.groupTimerMs }, ...sources] : sources;
    });
  }

  querier(): QuerierRow {
    const { interface: iface, family, settings, ownAddress } = this.options;
    const own = (family === 'ipv4' ? settings.igmpVersion : settings.mldVersion) as number;
    const other = this.election.presentQuerier;
    return {
      interface: iface,
      family,
      state: this.election.isQuerier ? 'querier' : 'non-querier',
      querier: this.election.isQuerier || other === null ? ownAddress : other,
      version: this.election.isQuerier || this.otherQuerierVersion === null ? own : this.otherQuerierVersion,
      messages: { ...this.counters },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.transport.close();
  }

  private now(): number {
    return Math.floor(performance.now());
  }

  /**
   * A message from the network must never take the daemon down: the socket rethrows what its
   * callback throws as an uncaught exception, so a bug met by one odd packet is logged and counted here.
   */
  private receiveSafely(packet: ListenerPacketIn): void {
    try {
      this.receive(packet);
    } catch (err) {
      this.counters.malformed++;
      this.options.log.error(`${this.name}: a message from ${packet.source} could not be handled: ${(err as Error).stack ?? err}`);
    }
  }

  private receive(packet: ListenerPacketIn): void {
    if (this.closed) return;
    this.counters.received++;
    const { family } = this.options;
    const parsed = family === 'ipv4' ? parseIgmp(packet.payload) : parseMld(packet.payload, packet);
    // RFC 3810 §5.1.14, §5.2.13: MLD messages come from a link-local source (or ::, before a host has one).
    const badSource = family === 'ipv6' && packet.source !== '::' && !LINK_LOCAL6.test(packet.source);
    if (!parsed.ok || badSource) {
      this.counters.malformed++;
      this.options.log.debug(`${this.name}: dropped a message from ${packet.source}: ${parsed.ok ? 'source is not link-local' : parsed.error}`);
      return;
    }
    const kept = this.options.ignoreLeaves ? this.withoutLeaves(parsed.message) : parsed.message;
    const message = kept && this.withinTable(kept);
    if (!message) return;
    const now = this.now();
    this.track(now, () => {
      if (message.kind === 'query') return this.receiveQuery(packet.source, message, now);
      this.note(message, packet.source);
      this.send(this.table.receive(message, now));
    });
  }

  /** Who reported last for each group, and which groups are on their way out after a leave. */
  private note(message: ListenerMessage, reporter: string): void {
    const entries =
      message.kind === 'records' ? message.records.map((r) => [r.group, LEAVING_RECORDS.has(r.type)] as const) : message.kind === 'query' ? [] : [[message.group, message.kind === 'leave'] as const];
    for (const [group, leaves] of entries) {
      this.lastReporter.set(group, reporter);
      if (leaves) this.leaving.add(group);
      else this.leaving.delete(group);
    }
  }

  private receiveQuery(source: string, query: ListenerQuery, now: number): void {
    const events = this.election.receiveQuery(source, now, query);
    if ('ignored' in events) {
      this.options.log.debug(`${this.name}: ${events.ignored}`);
    } else {
      if (this.election.presentQuerier === source) this.otherQuerierVersion = query.version;
      this.handleElection(events);
    }
    this.send(this.table.receive(query, now));
  }

  /** The message without what would add a group to a full table; null when nothing is left of it. */
  private withinTable(message: ListenerMessage): ListenerMessage | null {
    if (message.kind === 'query') return message;
    const known = new Set(this.table.groupAddresses());
    if (known.size < LISTENER_LIMITS.maxGroupsPerSegment) return message;
    const fits = (group: string) => known.has(group);
    if (message.kind !== 'records') {
      if (fits(message.group)) return message;
      this.counters.tableFull++;
      return null;
    }
    const records = message.records.filter((r) => fits(r.group));
    this.counters.tableFull += message.records.length - records.length;
    return records.length === 0 ? null : { kind: 'records', records };
  }

  /** TEST-ONLY: the message with every leave taken out; null when nothing is left of it. */
  private withoutLeaves(message: ListenerMessage): ListenerMessage | null {
    if (message.kind === 'leave') {
      this.counters.ignored++;
      return null;
    }
    if (message.kind !== 'records') return message;
    const records = message.records.filter((r) => !LEAVING_RECORDS.has(r.type));
    this.counters.ignored += message.records.length - records.length;
    return records.length === 0 ? null : { kind: 'records', records };
  }

  private handleElection(events: QuerierEvent[]): void {
    for (const event of events) {
      if (event.kind === 'general-query') this.sendQuery(event.query);
      else if (event.kind === 'intervals') this.table.setIntervals(event.intervals);
      else {
        this.table.setQuerier(event.querier);
        if (event.querier) this.otherQuerierVersion = null;
        this.options.log.info(
          event.querier ? `${this.name}: this relay is now the querier` : `${this.name}: ${event.otherQuerier} has a lower address and is the querier; this relay listens`,
          { interface: this.options.interface, family: this.options.family, querier: event.otherQuerier ?? this.options.ownAddress },
        );
      }
    }
  }

  private onTimer(): void {
    if (this.closed) return;
    const now = this.now();
    this.track(now, () => {
      const events = this.election.advance(now);
      this.handleElection(events);
      this.send(this.table.advance(now));
    }, 'expire');
  }

  /**
   * Runs `step` and reports what it changed: groups that appeared are joins, groups that went are
   * leaves (or expiries, when a timer took them), and any change in what may be forwarded wakes the
   * data plane. Then the timer is set for the next deadline.
   */
  private track(now: number, step: () => void, gone: 'leave' | 'expire' = 'leave'): void {
    const before = this.forwardingState();
    try {
      step();
    } finally {
      const after = this.forwardingState();
      let changed = before.size !== after.size;
      for (const [group, state] of after) {
        const was = before.get(group);
        if (was === undefined) this.events.join++;
        if (was !== state) changed = true;
      }
      for (const group of before.keys()) {
        if (after.has(group)) continue;
        this.events[this.leaving.has(group) ? 'leave' : gone]++;
        this.lastReporter.delete(group);
        this.leaving.delete(group);
      }
      this.arm(now);
      if (changed) this.options.onChange();
    }
  }

  private forwardingState(): Map<string, string> {
    return new Map(this.table.groupAddresses().map((g) => [g, JSON.stringify(this.table.forwarding(g))]));
  }

  private arm(now: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const deadlines = [this.table.nextDeadline(), this.election.nextDeadline()].filter((t): t is number => t !== null);
    if (deadlines.length === 0) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, Math.min(...deadlines) - now));
    this.timer.unref();
  }

  private send(queries: readonly ScheduledQuery[]): void {
    for (const q of queries) this.sendQuery(q.query);
  }

  private sendQuery(query: ListenerQuery): void {
    const { family, ownAddress: source } = this.options;
    const destination = queryDestination(family, query);
    const payload = family === 'ipv4' ? buildIgmp(query) : buildMld(query, { source, destination });
    try {
      this.transport.send({ source, destination, payload });
      this.counters.queriesSent++;
    } catch (err) {
      this.counters.sendErrors++;
      this.options.log.warn(`${this.name}: sending a query: ${(err as Error).message}`, { interface: this.options.interface, family });
    }
  }
}
