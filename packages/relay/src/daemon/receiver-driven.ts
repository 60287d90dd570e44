import type { AddressFamily } from '@mcr/relay-native';
import type { OutputSpec, Rule } from '../config/types.js';
import type { ListenerSettings } from '../listeners/listener-settings.js';
import type { GroupForwarding } from '../listeners/listener-table.js';
import { SegmentListeners, type ListenerRow, type MembershipEvents, type OpenTransport, type QuerierRow } from '../listeners/segment-listeners.js';
import type { Logger } from '../log.js';
import type { InterfaceFactsCache } from '../net/interface-facts.js';
import { gatesFor, onDemandJoins, type Gate, type SegmentLookup } from './listener-gates.js';
import type { RuleJoin, RuleMemberships } from './memberships.js';

// Receiver-driven relaying: a listener segment (socket, listener table, querier election) on every
// (interface, family) that some output with forward: "listeners" sends to, the gates those outputs
// get from it, and the input memberships of on-demand rules. The daemon calls sync() after every
// rule change and interface poll, and pushes the gates to the workers when a segment says its
// listeners changed.

export interface ReceiverDrivenOptions {
  settings: ListenerSettings;
  ignoreLeaves: boolean;
  facts: InterfaceFactsCache;
  memberships: RuleMemberships;
  log: Logger;
  open: OpenTransport;
  /** A segment's listeners changed: the gates (and on-demand joins) must follow. */
  onChange: () => void;
}

/** A segment's membership events since the relay started (segments closed and reopened included). */
export type SegmentEvents = { interface: string; family: AddressFamily } & MembershipEvents;

const key = (iface: string, family: AddressFamily) => `${iface}|${family}`;
const joinKey = (j: RuleJoin) => `${j.rule}|${j.membership.interface}|${j.membership.group}|${j.membership.source ?? ''}`;

/** The (interface, family) pairs the table's listeners outputs send to. */
export function listenedSegments(rules: readonly Rule[]): { interface: string; family: AddressFamily }[] {
  const found = new Map<string, { interface: string; family: AddressFamily }>();
  for (const rule of rules) {
    for (const out of rule.outputs) if (out.forward === 'listeners') found.set(key(out.interface, rule.input.family), { interface: out.interface, family: rule.input.family });
  }
  return [...found.values()];
}

function addEvents(a: MembershipEvents | undefined, b: MembershipEvents | undefined): MembershipEvents {
  const n = (k: keyof MembershipEvents) => (a?.[k] ?? 0) + (b?.[k] ?? 0);
  return { join: n('join'), leave: n('leave'), expire: n('expire') };
}

export class ReceiverDriven {
  private readonly segments = new Map<string, SegmentListeners>();
  /** Why a segment the rules want is not running (no address yet, a socket that failed), logged once per reason. */
  private readonly waiting = new Map<string, string>();
  private readonly joined = new Map<string, RuleJoin>();
  /** Counts of segments that closed, so that a counter never goes back. */
  private readonly pastEvents = new Map<string, MembershipEvents>();

  constructor(private readonly options: ReceiverDrivenOptions) {}

  /** Each listened segment's current groups; null while it has no running segment. */
  readonly lookup: SegmentLookup = (iface, family) => {
    const segment = this.segments.get(key(iface, family));
    if (!segment) return null;
    const listened = new Map<string, GroupForwarding>();
    for (const group of segment.groups()) {
      const f = segment.forwarding(group);
      if (f) listened.set(group, f);
    }
    return listened;
  };

  gates(rule: Rule, out: OutputSpec): Gate[] | undefined {
    return gatesFor(rule, out, this.lookup);
  }

  /** Whether `out` sends anything now: always for "always" outputs; for "listeners" while it has a gate. */
  forwardingNow(rule: Rule, out: OutputSpec): boolean {
    const gates = this.gates(rule, out);
    return gates === undefined || gates.length > 0;
  }

  /**
   * Opens the segments `rules` need and closes the others; reopens one whose interface came back with
   * another ifindex or address (its socket was bound to the old one). Then the on-demand joins follow.
   */
  sync(rules: readonly Rule[]): void {
    const wanted = listenedSegments(rules);
    const wantedKeys = new Set(wanted.map((s) => key(s.interface, s.family)));
    for (const [k, segment] of this.segments) if (!wantedKeys.has(k)) this.closeSegment(k, segment);
    for (const k of this.waiting.keys()) if (!wantedKeys.has(k)) this.waiting.delete(k);
    for (const s of wanted) this.openSegment(s.interface, s.family);
    this.syncJoins(rules);
  }

  /** Joins what the on-demand rules need now and leaves what they no longer need. */
  syncJoins(rules: readonly Rule[]): void {
    const wanted = new Map(rules.flatMap((rule) => onDemandJoins(rule, this.lookup).map((membership) => ({ rule: rule.id, membership }))).map((j) => [joinKey(j), j]));
    for (const [k, j] of this.joined) {
      if (wanted.has(k)) continue;
      this.options.memberships.release([j]);
      this.joined.delete(k);
    }
    for (const [k, j] of wanted) {
      if (this.joined.has(k)) continue;
      try {
        this.options.memberships.acquire([j]);
        this.joined.set(k, j);
      } catch (err) {
        this.options.log.warn(`rule ${j.rule}: on-demand join of ${j.membership.group} on ${j.membership.interface}: ${(err as Error).message}`, { rule: j.rule });
      }
    }
  }

  rows(): ListenerRow[] {
    return [...this.segments.values()].flatMap((s) => s.rows());
  }

  queriers(): QuerierRow[] {
    return [...this.segments.values()].map((s) => s.querier());
  }

  events(): SegmentEvents[] {
    const keys = new Set([...this.pastEvents.keys(), ...this.segments.keys()]);
    return [...keys].map((k) => {
      const [iface, family] = k.split('|') as [string, AddressFamily];
      return { interface: iface, family, ...addEvents(this.pastEvents.get(k), this.segments.get(k)?.events) };
    });
  }

  close(): void {
    for (const [k, segment] of this.segments) this.closeSegment(k, segment);
    this.options.memberships.release([...this.joined.values()]);
    this.joined.clear();
  }

  private openSegment(iface: string, family: AddressFamily): void {
    const k = key(iface, family);
    const facts = this.options.facts.get(iface);
    const ownAddress = facts ? (family === 'ipv4' ? facts.ipv4 : facts.ipv6LinkLocal) : null;
    const running = this.segments.get(k);
    if (running && facts && running.ifindex === facts.ifindex && running.ownAddress === ownAddress) return;
    if (running) this.closeSegment(k, running);
    if (!facts || ownAddress === null) {
      const why = !facts ? 'the interface is absent' : `it has no ${family === 'ipv4' ? 'IPv4' : 'IPv6 link-local'} address to query from`;
      this.wait(k, `${family === 'ipv4' ? 'IGMP' : 'MLD'} on ${iface} waits: ${why}; its listeners outputs send nothing meanwhile`);
      return;
    }
    try {
      const segment = new SegmentListeners({
        interface: iface,
        family,
        ifindex: facts.ifindex,
        ownAddress,
        settings: this.options.settings,
        ignoreLeaves: this.options.ignoreLeaves,
        open: this.options.open,
        log: this.options.log,
        onChange: this.options.onChange,
      });
      this.segments.set(k, segment);
      this.waiting.delete(k);
      this.options.log.info(`${segment.name}: tracking listeners from ${ownAddress} (querier: ${this.options.settings.querier})`, { interface: iface, family });
    } catch (err) {
      this.wait(k, `${family === 'ipv4' ? 'IGMP' : 'MLD'} on ${iface} cannot start: ${(err as Error).message}; retried at the next interface poll`);
    }
  }

  private wait(k: string, reason: string): void {
    if (this.waiting.get(k) !== reason) this.options.log.warn(reason);
    this.waiting.set(k, reason);
  }

  private closeSegment(k: string, segment: SegmentListeners): void {
    segment.close();
    this.segments.delete(k);
    this.pastEvents.set(k, addEvents(this.pastEvents.get(k), segment.events));
    // Its listeners are gone with it: the gates close until a new segment hears them again.
    this.options.onChange();
  }
}
