import { benchHotPath, NATIVE_LIMITS } from '@mcr/relay-native';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseRule } from '../../src/config/rule-schema.js';
import type { Rule } from '../../src/config/types.js';
import { nativeRulesFor } from '../../src/daemon/native-rules.js';
import type { InterfaceFacts } from '../../src/net/interface-facts.js';

const facts: Record<string, InterfaceFacts> = {
  out0: { name: 'out0', ifindex: 7, mac: '02:00:00:00:00:07', ipv4: '10.2.0.1', ipv6: 'fd00:0:0:2::1', ipv6LinkLocal: 'fe80::7', ethernet: true },
  ll0: { name: 'll0', ifindex: 8, mac: '02:00:00:00:00:08', ipv4: null, ipv6: null, ipv6LinkLocal: 'fe80::8', ethernet: true },
  bare: { name: 'bare', ifindex: 9, mac: '02:00:00:00:00:09', ipv4: null, ipv6: null, ipv6LinkLocal: null, ethernet: true },
};
const output = (iface: string, group: string, extra: Partial<Rule['outputs'][number]> = {}) => ({ interface: iface, group, port: 6001, ttl: 8, ttlMode: 'decrement' as const, ...extra });
const table = (rule: Rule) => nativeRulesFor([rule], (n) => facts[n] ?? null, { disableLoopGuard: false })[0]!;

describe('native rules', () => {
  it('IPv6 outputs send from the global address, link-local scope ones from fe80::', () => {
    const spec = table({
      id: 'r',
      input: { interface: 'in0', group: 'ff3e::1', port: 5001, family: 'ipv6' },
      outputs: [
        output('out0', 'ff3e::9'),
        output('out0', 'ff02::fb'),
        output('ll0', 'ff3e::9'),
        output('bare', 'ff3e::9'),
        output('out0', 'fd00:0:0:2::5'),
        output('out0', 'fe80::5'),
        output('out0', 'ff05::9'),
        output('out0', 'ff12::9'),
      ],
    });
    expect(spec.outputs.map((o) => [o.ifindex, o.sourceAddress])).toEqual([
      [7, 'fd00:0:0:2::1'],
      [7, 'fe80::7'],
      [8, 'fe80::8'], // no global address: link-local
      [0, '::'], // no IPv6 address at all: absent
      [7, 'fd00:0:0:2::1'],
      [7, 'fe80::7'], // unicast link-local destination
      [7, 'fd00:0:0:2::1'], // site scope
      [7, 'fe80::7'], // link-local scope with the transient flag
    ]);
  });

  it('IPv4 outputs send from the IPv4 address, absent without one', () => {
    const spec = table({ id: 'r', input: { interface: 'in0', group: '239.1.1.1', port: 5001, family: 'ipv4' }, outputs: [output('out0', '239.9.9.1'), output('ll0', '239.9.9.1')] });
    expect(spec.outputs.map((o) => [o.ifindex, o.sourceAddress])).toEqual([
      [7, '10.2.0.1'],
      [0, '0.0.0.0'],
    ]);
  });

  it('a range rule carries its prefix to the input and to offset-mapped outputs, and its source', () => {
    const spec = table({
      id: 'r',
      input: { interface: 'in0', group: '239.1.0.0', prefixLength: 24, port: 5001, source: '10.1.0.2', family: 'ipv4' },
      outputs: [output('out0', '239.9.0.0', { prefixLength: 24 }), output('out0', '239.8.0.1')],
      join: false,
    });
    expect(spec).toMatchObject({ group: '239.1.0.0', groupPrefixLength: 24, source: '10.1.0.2' });
    expect(spec.outputs[0]).toMatchObject({ group: '239.9.0.0', groupPrefixLength: 24 });
    expect(spec.outputs[1]).not.toHaveProperty('groupPrefixLength');
  });
});

describe('the relay refuses first what the data plane refuses', () => {
  const lookups = { interfaceExists: () => true, isEthernet: () => true };
  const rule = (over: Record<string, unknown> = {}, input: Record<string, unknown> = {}, out: Record<string, unknown> = {}) => ({
    id: 'r',
    input: { interface: 'in0', group: '239.1.1.1', port: 5001, ...input },
    outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ...out }],
    ...over,
  });
  /** The relay's schema, then (when it accepts) the data plane's own check of the table it is given. */
  const verdicts = (value: unknown) => {
    const parsed = (() => {
      try {
        return { ...parseRule(value, lookups), id: 'r' };
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return null;
      }
    })();
    if (!parsed) return { relay: false, native: null };
    const rules = nativeRulesFor([parsed], (n) => facts[n] ?? null, { disableLoopGuard: false });
    try {
      benchHotPath({ frames: [], rules, iterations: 1 });
      return { relay: true, native: true };
    } catch (err) {
      return { relay: true, native: false, error: String(err) };
    }
  };

  it('every rule the relay accepts passes the data plane as the table it becomes', () => {
    const accepted = [
      rule(),
      rule({ maxPps: NATIVE_LIMITS.maxPps }, { vlan: NATIVE_LIMITS.maxVlanId, source: '10.1.0.2' }, { ttl: 255, ttlMode: 'set' }),
      rule({ join: false }, { group: '239.1.0.0/24' }, { group: '239.9.0.0/24' }),
      rule({ join: false }, { group: '232.0.0.0/8' }, { group: '239.9.0.1' }),
      rule({}, { group: '239.1.1.1/32' }, { group: '239.9.9.1/32' }),
      rule({ join: false }, { group: 'ff3e::1:0/112' }, { group: 'ff3e::9:0/112' }),
      rule({}, { group: 'ff3e::1', source: 'fd00::5' }, { group: 'fd00:0:0:2::5' }),
      rule({ linkLocal: true }, { group: 'ff02::fb' }, { group: 'ff02::fb', port: 5353 }),
      rule({}, { interface: 'a.b:c@d_e-f1234' }, { interface: 'out0' }),
    ];
    for (const value of accepted) expect(verdicts(value), JSON.stringify(value)).toEqual({ relay: true, native: true });
  });

  it('every field value the data plane refuses, the relay refuses too', () => {
    const outputs = (n: number) => Array.from({ length: n }, (_, k) => ({ interface: 'out0', group: '239.9.9.1', port: 1000 + k }));
    const refused = [
      rule({}, { port: 0 }),
      rule({}, {}, { port: 65536 }),
      rule({}, {}, { ttl: 0 }),
      rule({}, {}, { ttl: 256 }),
      rule({}, {}, { ttlMode: 'keep' }),
      rule({}, { vlan: 0 }),
      rule({}, { vlan: NATIVE_LIMITS.maxVlanId + 1 }),
      rule({ maxPps: 0 }),
      rule({ maxPps: NATIVE_LIMITS.maxPps + 1 }),
      rule({}, { interface: 'a-very-long-interface-name' }),
      rule({}, {}, { interface: 'out 0' }),
      rule({}, { group: '10.1.1.1' }),
      rule({}, { group: '239.1.0.0/7' }),
      rule({}, { group: 'ff3e::/15' }),
      rule({}, { group: '239.1.0.1/24' }),
      rule({}, { group: '239.1.0.0/24' }, { group: '239.9.0.0/23' }),
      rule({}, { group: '239.1.1.1' }, { group: '239.9.0.0/24' }),
      rule({}, { group: 'ff3e::1' }, { group: '239.9.9.1' }),
      rule({}, { source: 'fd00::1' }),
      { ...rule(), outputs: outputs(NATIVE_LIMITS.maxOutputsPerRule + 1) },
    ];
    for (const value of refused) expect(verdicts(value), JSON.stringify(value)).toEqual({ relay: false, native: null });
  });
});
