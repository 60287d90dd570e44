import type { AddressFamily, OutputSpec, Rule } from '../config/types.js';
import type { InterfaceFacts } from '../net/interface-facts.js';
import { isLinkScope6, isMulticast6, parseIpv6 } from '@mcr/relay-native';
import type { RuleSpec } from '@mcr/relay-native';
import { NATIVE_LIMITS } from '../config/limits.js';
import { gateEntries, type Gate } from './listener-gates.js';

export interface NativeRulesOptions {
  /** TEST-ONLY: every output TTL "set" (the loop guard's TTL half off). */
  disableLoopGuard: boolean;
  /** A listeners output's gates (undefined: it always sends). */
  gatesOf?: (rule: Rule, out: OutputSpec) => Gate[] | undefined;
}

/** A listeners output's gates for the data plane; nothing for an output that always sends. */
const listenersOf = (gates: Gate[] | undefined) => (gates === undefined ? {} : { listeners: gates });

/** What an output is sent with while its interface is gone or has no address of the output's family. */
const ABSENT = {
  ipv4: { ifindex: 0, sourceAddress: '0.0.0.0', sourceMac: '00:00:00:00:00:00' },
  ipv6: { ifindex: 0, sourceAddress: '::', sourceMac: '00:00:00:00:00:00' },
} as const;

/**
 * The address rewritten packets to `out` are sent from: the interface's IPv4 address; for IPv6 its
 * global address, or its fe80:: link-local one for link-local scope destinations (ff02::/16 and the
 * like: a router would not pass them, so the link-local address is the right identity) and when it has
 * no global one. null while it has no such address.
 */
export function sourceAddressFor(family: AddressFamily, out: Pick<OutputSpec, 'group'>, facts: InterfaceFacts): string | null {
  if (family === 'ipv4') return facts.ipv4;
  if (isLinkScopeDestination(out.group)) return facts.ipv6LinkLocal;
  return facts.ipv6 ?? facts.ipv6LinkLocal;
}

/** IPv6 multicast of scope 1 or 2 (ff01::/16, ff02::/16, any flags), or a fe80::/10 unicast address: never leaves the link. */
function isLinkScopeDestination(group: string): boolean {
  const value = parseIpv6(group);
  if (value === null) return false;
  return isMulticast6(value) ? isLinkScope6(value) : value >> 118n === 0xfe80n >> 6n;
}

/**
 * Turns the rules of one input interface into the native data plane's table: interface names become
 * ifindexes, and each output carries the source MAC and address its rewritten frames are sent with.
 * An output whose interface is gone or has no address of its family stays in the table with ifindex 0
 * (the data plane counts what it could not send in `outputAbsent`), so rule changes elsewhere never
 * wait for it; the interface watcher rebinds it when the interface or its address is back.
 */
export function nativeRulesFor(rules: Rule[], factsOf: (name: string) => InterfaceFacts | null, options: NativeRulesOptions): RuleSpec[] {
  const specs: RuleSpec[] = rules.map((rule) => ({
    id: rule.id,
    group: rule.input.group,
    ...(rule.input.prefixLength === undefined ? {} : { groupPrefixLength: rule.input.prefixLength }),
    port: rule.input.port,
    ...(rule.input.source ? { source: rule.input.source } : {}),
    ...(rule.input.vlan === undefined ? {} : { vlan: rule.input.vlan }),
    ...(rule.maxPps === undefined ? {} : { maxPps: rule.maxPps }),
    outputs: rule.outputs.map((out) => {
      const facts = factsOf(out.interface);
      const sourceAddress = facts ? sourceAddressFor(rule.input.family, out, facts) : null;
      const bound = facts && sourceAddress !== null ? { ifindex: facts.ifindex, sourceAddress, sourceMac: facts.mac } : ABSENT[rule.input.family];
      return {
        interface: out.interface,
        ...bound,
        group: out.group,
        ...(out.prefixLength === undefined ? {} : { groupPrefixLength: out.prefixLength }),
        port: out.port,
        ttl: out.ttl,
        ttlMode: options.disableLoopGuard ? 'set' : out.ttlMode,
        ...listenersOf(options.gatesOf?.(rule, out)),
      };
    }),
  }));
  return withinGateBudget(specs);
}

/**
 * A table whose gates hold more entries than NATIVE_LIMITS.maxListenerEntriesPerTable loses the
 * largest gates first: those outputs send everything (a wider gate, never a narrower one), so the
 * data plane takes the table and no listener is cut off by what a segment reported.
 */
function withinGateBudget(specs: RuleSpec[]): RuleSpec[] {
  const outputs = specs.flatMap((r) => r.outputs.filter((o) => o.listeners !== undefined));
  let total = outputs.reduce((n, o) => n + gateEntries(o.listeners), 0);
  for (const o of outputs.sort((a, b) => gateEntries(b.listeners) - gateEntries(a.listeners))) {
    if (total <= NATIVE_LIMITS.maxListenerEntriesPerTable) break;
    total -= gateEntries(o.listeners);
    delete o.listeners;
  }
  return specs;
}
