import { parseIpAddress, type AddressFamily } from '@mcr/relay-native';
import type { ListenerQuery, ListenerVersion } from './listener-messages.js';
import type { QuerierMode } from './listener-settings.js';
import { adoptQuerierParameters, protocolIntervals, type ProtocolIntervals, type TimerSettings } from './protocol-intervals.js';
import { generalQuery } from './querier-queries.js';

// Which router queries a segment (RFC 3376 §6.6.2, RFC 3810 §7.6.2): every router starts as the
// querier and sends its startup queries; one that hears a query from a lower address falls silent
// until that querier has not been heard for the other querier present interval, then takes over.
// Like the listener table, it reads no clock: `now` is milliseconds on the caller's monotonic clock.

export type QuerierEvent =
  | { kind: 'general-query'; at: number; query: ListenerQuery }
  /** The role changed: the listener table must be told (only the querier sends specific queries). */
  | { kind: 'role'; at: number; querier: boolean; otherQuerier: string | null }
  /** The timers now follow the querier's robustness and query interval (or this router's own again): give them to the listener table. */
  | { kind: 'intervals'; at: number; intervals: ProtocolIntervals };

export interface QuerierElectionOptions {
  family: AddressFamily;
  /** This router's address on the interface: IPv4, or IPv6 link-local (the source of its queries). */
  ownAddress: string;
  mode: QuerierMode;
  version: ListenerVersion;
  settings: TimerSettings;
  /** When the interface started: the first startup query is due then. */
  now: number;
}

/** Why a query does not take part in the election. */
export type IgnoredQuery = { ignored: string };

const LINK_LOCAL_PREFIX = 0xfe80n >> 6n; // fe80::/10

export class QuerierElection {
  private querier: boolean;
  private otherQuerier: string | null = null;
  private otherQuerierDeadline: number | null = null;
  private nextQueryAt: number | null;
  private startupQueriesLeft: number;
  private readonly ownValue: bigint;
  private readonly ownIntervals: ProtocolIntervals;
  private currentIntervals: ProtocolIntervals;

  constructor(private readonly options: QuerierElectionOptions) {
    const own = parseIpAddress(options.ownAddress);
    const why = own ? electionAddressProblem(options.family, own.family, own.value) : 'is not an address';
    if (why) throw new RangeError(`querier address ${JSON.stringify(options.ownAddress)} ${why}`);
    this.ownValue = own!.value;
    this.ownIntervals = this.currentIntervals = protocolIntervals(options.settings);
    this.querier = options.mode !== 'never';
    this.nextQueryAt = this.querier ? options.now : null;
    this.startupQueriesLeft = this.querier ? this.ownIntervals.startupQueryCount : 0;
  }

  get isQuerier(): boolean {
    return this.querier;
  }

  /** The timers in force: this router's own, or those adopted from the querier it defers to. */
  get intervals(): ProtocolIntervals {
    return this.currentIntervals;
  }

  /** The address of the querier that silenced this router, while it counts as present. */
  get presentQuerier(): string | null {
    return this.otherQuerier;
  }

  /**
   * A query heard from `source` at `now`. From a lower address (mode auto) it makes or keeps this
   * router a non-querier for the other querier present interval, and its QRV and QQI (when `query` is
   * given) become this router's. Returns the events due, role changes included, or why the query
   * plays no part.
   */
  receiveQuery(source: string, now: number, query?: ListenerQuery): QuerierEvent[] | IgnoredQuery {
    // An ignored query fires nothing: what is due stays due for the next call.
    const address = parseIpAddress(source);
    const why = address ? electionAddressProblem(this.options.family, address.family, address.value) : 'is not an address';
    if (why) return { ignored: `query source ${JSON.stringify(source)} ${why}` };
    const out = this.advance(now);
    if (this.options.mode !== 'auto' || address!.value >= this.ownValue) return out;
    this.otherQuerier = address!.text;
    if (this.querier) {
      this.querier = false;
      this.nextQueryAt = null;
      this.startupQueriesLeft = 0;
      out.push({ kind: 'role', at: now, querier: false, otherQuerier: this.otherQuerier });
    }
    if (query) this.useIntervals(adoptQuerierParameters(this.options.settings, query), now, out);
    // §8.5: the interval follows the robustness and query interval just adopted.
    this.otherQuerierDeadline = now + this.currentIntervals.otherQuerierPresentMs;
    return out;
  }

  /** General queries due by `now`, and the take-over when the other querier has gone quiet. */
  advance(now: number): QuerierEvent[] {
    const out: QuerierEvent[] = [];
    for (let t = this.nextDeadline(); t !== null && t <= now; t = this.nextDeadline()) {
      if (this.otherQuerierDeadline !== null && this.otherQuerierDeadline <= t) {
        this.otherQuerierDeadline = null;
        this.otherQuerier = null;
        this.querier = true;
        this.nextQueryAt = t;
        out.push({ kind: 'role', at: t, querier: true, otherQuerier: null });
        this.useIntervals(this.ownIntervals, t, out);
      }
      if (this.nextQueryAt !== null && this.nextQueryAt <= t) {
        out.push({ kind: 'general-query', at: t, query: generalQuery(this.options.family, this.options.version, this.currentIntervals) });
        const { startupQueryIntervalMs, queryIntervalMs } = this.currentIntervals;
        // The startup queries come at a quarter of the query interval (§8.6, §8.7).
        if (this.startupQueriesLeft > 0) this.startupQueriesLeft--;
        this.nextQueryAt = t + (this.startupQueriesLeft > 0 ? startupQueryIntervalMs : queryIntervalMs);
      }
    }
    return out;
  }

  private useIntervals(intervals: ProtocolIntervals, at: number, out: QuerierEvent[]): void {
    const changed = Object.entries(intervals).some(([key, value]) => this.currentIntervals[key as keyof ProtocolIntervals] !== value);
    this.currentIntervals = intervals;
    if (changed) out.push({ kind: 'intervals', at, intervals });
  }

  nextDeadline(): number | null {
    const times = [this.otherQuerierDeadline, this.nextQueryAt].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }
}

/**
 * Why an address cannot stand in the election: another family; the unspecified address (snooping
 * switches query from 0.0.0.0 or :: to wake reports up, and must not silence a router, RFC 4541
 * §2.1.1); an IPv6 source that is not link-local (RFC 3810 §5.1.14 has such queries discarded).
 */
function electionAddressProblem(family: AddressFamily, addressFamily: AddressFamily, value: bigint): string | null {
  if (addressFamily !== family) return `is not ${family === 'ipv4' ? 'IPv4' : 'IPv6'}`;
  if (value === 0n) return 'is the unspecified address';
  if (family === 'ipv6' && value >> 118n !== LINK_LOCAL_PREFIX) return 'is not link-local (fe80::/10)';
  return null;
}
