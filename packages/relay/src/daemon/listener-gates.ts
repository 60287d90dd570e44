import { formatIpAddress, parseIpAddress, rangeSize, type AddressFamily } from '@mcr/relay-native';
import { NATIVE_LIMITS } from '../config/limits.js';
import { ON_DEMAND, type OutputSpec, type Rule } from '../config/types.js';
import type { GroupForwarding } from '../listeners/listener-table.js';
import type { MembershipKey } from '../igmp/igmp-memberships.js';

// What the listeners of the output segments mean for the data plane and for the input's memberships:
// - the gates of an output with forward: "listeners" (which destinations it may send, from which sources);
// - the input groups an on-demand rule joins (RFC 4605: the union of what its outputs need).
// Pure functions of the rule table and the listener state, so they are tested without sockets.

/** The listener state of one segment: its listened groups and what each wants. */
export type SegmentLookup = (iface: string, family: AddressFamily) => ReadonlyMap<string, GroupForwarding> | null;

/** The data plane's gate of one listened destination (relay-native's ListenerGate). */
export interface Gate {
  group: string;
  mode: 'include' | 'exclude';
  sources: string[];
}

function inRange(value: bigint, base: bigint, bits: number, prefixLength: number): boolean {
  return value >> BigInt(bits - prefixLength) === base >> BigInt(bits - prefixLength);
}

const BITS: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

/**
 * The listened groups an output can send to, each with the input group(s) it is sent from: the output
 * group itself (every frame of the rule goes there), or, for an offset-mapped range, each listened
 * group of the output range with the input group at the same offset.
 */
export function listenedDestinations(rule: Rule, out: OutputSpec, listened: ReadonlyMap<string, GroupForwarding>): { group: string; forwarding: GroupForwarding; inputGroups: string[] | 'all' }[] {
  const family = rule.input.family;
  if (out.prefixLength === undefined) {
    const forwarding = listened.get(out.group);
    if (!forwarding) return [];
    return [{ group: out.group, forwarding, inputGroups: rule.input.prefixLength === undefined ? [rule.input.group] : 'all' }];
  }
  const outBase = parseIpAddress(out.group)!.value;
  const inBase = parseIpAddress(rule.input.group)!.value;
  const found: { group: string; forwarding: GroupForwarding; inputGroups: string[] }[] = [];
  for (const [group, forwarding] of listened) {
    const value = parseIpAddress(group)?.value;
    if (value === undefined || !inRange(value, outBase, BITS[family], out.prefixLength)) continue;
    found.push({ group, forwarding, inputGroups: [formatIpAddress(family, inBase + (value - outBase))] });
  }
  return found.sort((a, b) => (a.group < b.group ? -1 : 1));
}

/**
 * The gates of `out`: undefined for an output that always forwards; [] when nobody listens. What the
 * listeners ask for beyond the data plane's limits widens the gate, never narrows it: a listener is
 * never cut off because its segment reported too much. An include list longer than
 * NATIVE_LIMITS.maxListenerSourcesPerGate becomes "every source", an exclude list keeps the first
 * ones it can (the others' traffic is sent too), and more listened groups than an output may gate
 * lift the output's gate altogether (it sends everything, as forward: "always" would).
 */
export function gatesFor(rule: Rule, out: OutputSpec, lookup: SegmentLookup): Gate[] | undefined {
  if (out.forward !== 'listeners') return undefined;
  const listened = lookup(out.interface, rule.input.family);
  if (!listened) return [];
  const destinations = listenedDestinations(rule, out, listened);
  if (destinations.length > NATIVE_LIMITS.maxListenerGroupsPerOutput) return undefined;
  const most = NATIVE_LIMITS.maxListenerSourcesPerGate;
  return destinations.map(({ group, forwarding }): Gate => {
    if (forwarding.mode === 'include') return forwarding.sources.length > most ? { group, mode: 'exclude', sources: [] } : { group, mode: 'include', sources: [...forwarding.sources].sort() };
    return { group, mode: 'exclude', sources: [...forwarding.blocked].sort().slice(0, most) };
  });
}

/** The entries (gates and their sources) one table's gates hold, as NATIVE_LIMITS.maxListenerEntriesPerTable counts them. */
export function gateEntries(gates: readonly Gate[] | undefined): number {
  return gates === undefined ? 0 : gates.length + gates.reduce((n, g) => n + g.sources.length, 0);
}

/**
 * The memberships an on-demand rule needs now: each input group some listeners output wants, joined
 * any-source when any output wants it in EXCLUDE mode (or the rule is any-source and no output names
 * sources), else source-specific for the union of the sources asked for. A source-specific rule joins
 * its own source only. Rules that do not join on demand need none here (their joins are static).
 */
export function onDemandJoins(rule: Rule, lookup: SegmentLookup): MembershipKey[] {
  if (rule.join !== ON_DEMAND) return [];
  const { interface: iface, family, source } = rule.input;
  /** Input group -> the sources wanted, or 'any'. */
  const wanted = new Map<string, Set<string> | 'any'>();
  const want = (group: string, sources: readonly string[] | 'any') => {
    const have = wanted.get(group);
    if (have === 'any') return;
    if (sources === 'any') return void wanted.set(group, 'any');
    const set = have ?? new Set<string>();
    for (const s of sources) set.add(s);
    wanted.set(group, set);
  };
  for (const out of rule.outputs) {
    if (out.forward !== 'listeners') continue;
    const listened = lookup(out.interface, family);
    if (!listened) continue;
    for (const { forwarding, inputGroups } of listenedDestinations(rule, out, listened)) {
      const sources = source !== undefined ? (admits(forwarding, source) ? [source] : []) : forwarding.mode === 'exclude' ? 'any' : forwarding.sources;
      if (sources !== 'any' && sources.length === 0) continue;
      for (const g of inputGroups === 'all' ? allGroups(rule) : inputGroups) want(g, sources);
    }
  }
  return [...wanted].flatMap(([group, sources]) =>
    sources === 'any' ? [{ interface: iface, family, group }] : [...sources].sort().map((s) => ({ interface: iface, family, group, source: s })),
  );
}

function admits(forwarding: GroupForwarding, source: string): boolean {
  return forwarding.mode === 'include' ? forwarding.sources.includes(source) : !forwarding.blocked.includes(source);
}

/** Every group of a range input; the schema bounds a joined range (RELAY_LIMITS.maxJoinedGroupsPerRange). */
function allGroups(rule: Rule): string[] {
  const { family, group, prefixLength } = rule.input;
  if (prefixLength === undefined) return [group];
  const base = parseIpAddress(group)!;
  const size = rangeSize({ base, prefixLength });
  const groups: string[] = [];
  for (let i = 0n; i < size; i++) groups.push(formatIpAddress(family, base.value + i));
  return groups;
}
