import type { RuleSpec } from '@mcr/relay-native';
import { ConfigError } from '../config/config-error.js';
import type { Rule } from '../config/types.js';
import { isMulticast } from '../net/ipv4.js';
import type { InterfaceInfo } from '../net/interfaces.js';

/**
 * Turns the rules of one input interface into the native data plane's table: interface names become
 * ifindexes, and each output carries the source MAC and address its rewritten frames are sent with.
 */
export function nativeRulesFor(rules: Rule[], infoOf: (name: string) => InterfaceInfo): RuleSpec[] {
  return rules.map((rule) => ({
    id: rule.id,
    group: rule.input.group,
    port: rule.input.port,
    ...(rule.input.source ? { source: rule.input.source } : {}),
    outputs: rule.outputs.map((out, o) => {
      const info = infoOf(out.interface);
      if (info.ipv4 === null) {
        throw new ConfigError([
          {
            path: `rule "${rule.id}".outputs[${o}].interface`,
            message: `${out.interface} has no IPv4 address to send ${isMulticast(out.group) ? 'multicast' : 'unicast'} from`,
          },
        ]);
      }
      return {
        interface: out.interface,
        ifindex: info.ifindex,
        group: out.group,
        port: out.port,
        ttl: out.ttl,
        sourceAddress: info.ipv4,
        sourceMac: info.mac,
      };
    }),
  }));
}
