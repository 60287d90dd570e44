import type { Rule } from '../config/types.js';
import type { InterfaceFacts } from '../net/interface-facts.js';
import type { RuleSpec } from '@mcr/relay-native';

export interface NativeRulesOptions {
  /** TEST-ONLY: every output TTL "set" (the loop guard's TTL half off). */
  disableLoopGuard: boolean;
}

/** What an output is sent with while its interface is gone or has no IPv4 address. */
const ABSENT = { ifindex: 0, sourceAddress: '0.0.0.0', sourceMac: '00:00:00:00:00:00' } as const;

/**
 * Turns the rules of one input interface into the native data plane's table: interface names become
 * ifindexes, and each output carries the source MAC and address its rewritten frames are sent with.
 * An output whose interface is gone or has no IPv4 address stays in the table with ifindex 0 (the
 * data plane counts what it could not send in `outputAbsent`), so rule changes elsewhere never wait
 * for it; the interface watcher rebinds it when the interface is back.
 */
export function nativeRulesFor(rules: Rule[], factsOf: (name: string) => InterfaceFacts | null, options: NativeRulesOptions): RuleSpec[] {
  return rules.map((rule) => ({
    id: rule.id,
    group: rule.input.group,
    port: rule.input.port,
    ...(rule.input.source ? { source: rule.input.source } : {}),
    ...(rule.input.vlan === undefined ? {} : { vlan: rule.input.vlan }),
    ...(rule.maxPps === undefined ? {} : { maxPps: rule.maxPps }),
    outputs: rule.outputs.map((out) => {
      const facts = factsOf(out.interface);
      const bound = facts && facts.ipv4 !== null ? { ifindex: facts.ifindex, sourceAddress: facts.ipv4, sourceMac: facts.mac } : ABSENT;
      return {
        interface: out.interface,
        ...bound,
        group: out.group,
        port: out.port,
        ttl: out.ttl,
        ttlMode: options.disableLoopGuard ? 'set' : out.ttlMode,
      };
    }),
  }));
}
