import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import type { Rule } from '../src/config/types.js';
import { NATIVE_LIMITS, RELAY_LIMITS } from '../src/config/limits.js';
import { RuleTable } from '../src/rules/rule-table.js';

const rule = (id: string, group: string, port = 5001, iface = 'in0'): Rule => ({
  id,
  input: { interface: iface, group, port, family: 'ipv4' },
  outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8, ttlMode: 'decrement' }],
});

describe('RuleTable', () => {
  it('is immutable: a change returns a new table and a rejected one leaves the old as it was', () => {
    const a = RuleTable.from([rule('s1', '239.1.1.1')]);
    const b = a.with(rule('s2', '239.1.1.2'));
    expect(a.size).toBe(1);
    expect(b.size).toBe(2);
    expect(() => b.with(rule('s3', '239.1.1.2'))).toThrow(ConfigError);
    expect(b.list().map((r) => r.id)).toEqual(['s1', 's2']);
    expect(b.without('s1')!.list().map((r) => r.id)).toEqual(['s2']);
    expect(b.without('nope')).toBeUndefined();
  });

  it('allows the same group on another port or from another source, and names the new rule in errors', () => {
    const t = RuleTable.from([rule('s1', '239.1.1.1', 5001), rule('s2', '239.1.1.1', 5002)]);
    expect(t.rulesOn('in0')).toHaveLength(2);
    try {
      t.with(rule('s3', '239.1.1.1', 5002));
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues[0]!.path).toBe('rule.input');
    }
  });

  it('tells inputs apart by VLAN: the same group and port untagged and on two VLANs are three streams', () => {
    const vlan = (id: string, v?: number): Rule => ({ ...rule(id, '239.1.1.1'), input: { interface: 'in0', group: '239.1.1.1', port: 5001, family: 'ipv4', ...(v === undefined ? {} : { vlan: v }) } });
    const t = RuleTable.from([vlan('u'), vlan('v10', 10), vlan('v20', 20)]);
    expect(t.size).toBe(3);
    expect(() => t.with(vlan('again', 10))).toThrow(/duplicate input: rule "v10" already relays 239.1.1.1:5001 on in0 vlan 10/);
  });

  it('refuses more rules, groups per interface and input interfaces than the documented maxima, naming the field', () => {
    const issue = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`).join('\n');
      }
      return 'accepted';
    };
    const group = (n: number) => `239.${2 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
    let t = RuleTable.empty;
    for (let n = 0; n < RELAY_LIMITS.maxGroupsPerInterface; n++) t = t.with(rule(`g${n}`, group(n)));
    expect(issue(() => t.with(rule('one-more', group(RELAY_LIMITS.maxGroupsPerInterface))))).toMatch(/^rule\.input\.group: in0 has 1024 groups already/);
    // Another port of a group already read is no new membership.
    expect(t.with(rule('same-group', group(0), 5002)).size).toBe(RELAY_LIMITS.maxGroupsPerInterface + 1);

    let u = RuleTable.empty;
    for (let n = 0; n < RELAY_LIMITS.maxInputInterfaces; n++) u = u.with(rule(`i${n}`, '239.1.1.1', 5001, `in${n}`));
    expect(issue(() => u.with(rule('one-more', '239.1.1.1', 5001, 'inX')))).toMatch(/^rule\.input\.interface: the relay reads at most 64 input interfaces/);

    const full = RuleTable.from(Array.from({ length: RELAY_LIMITS.maxRules }, (_, n) => rule(`r${n}`, '239.1.1.1', 1 + n, `in${n % 4}`)));
    expect(issue(() => full.with(rule('one-more', '239.1.1.1', 65000)))).toMatch(/^rule: the relay holds at most 4096 rules/);
    expect(full.without('r0')!.with(rule('one-more', '239.1.1.1', 65000)).size).toBe(RELAY_LIMITS.maxRules);
  });
});

describe('RuleTable: ranges and join', () => {
  const ranged = (id: string, group: string, prefixLength?: number, over: Partial<Rule> = {}, input: Partial<Rule['input']> = {}): Rule => ({
    ...rule(id, group),
    input: { interface: 'in0', group, port: 5001, family: group.includes(':') ? 'ipv6' : 'ipv4', ...(prefixLength === undefined ? {} : { prefixLength }), ...input },
    ...over,
  });

  it('refuses an equal-prefix range on the same (interface, port, vlan), whatever its source', () => {
    const t = RuleTable.from([ranged('a', '239.1.0.0', 24)]);
    expect(() => t.with(ranged('b', '239.1.0.0', 24))).toThrow(/duplicate input range: rule "a" already relays 239\.1\.0\.0\/24:5001 on in0 \(ranges of equal prefix length may not overlap/);
    expect(() => t.with(ranged('b', '239.1.0.0', 24, {}, { source: '10.0.0.1' }))).toThrow(/duplicate input range/);
    const six = RuleTable.from([ranged('a6', 'ff3e::1:0', 120)]);
    expect(() => six.with(ranged('b6', 'ff3e::1:0', 120))).toThrow(/already relays \[ff3e::1:0\/120\]:5001 on in0/);
    // Another port, VLAN or interface is another stream.
    expect(t.with(ranged('p', '239.1.0.0', 24, {}, { port: 5002 })).with(ranged('v', '239.1.0.0', 24, {}, { vlan: 7 })).with(ranged('i', '239.1.0.0', 24, {}, { interface: 'in1' })).size).toBe(4);
  });

  it('lets a longer prefix or an exact group nest in a range (the most specific wins)', () => {
    const t = RuleTable.from([ranged('wide', '239.1.0.0', 16, { join: false }), ranged('narrow', '239.1.1.0', 24), ranged('one', '239.1.1.7'), ranged('ssm', '239.1.1.7', undefined, {}, { source: '10.0.0.1' })]);
    expect(t.size).toBe(4);
  });

  it('refuses an output that lands in the input\'s own groups on the input interface and port', () => {
    const loop = (out: Partial<Rule['outputs'][number]>) => ranged('l', '239.1.0.0', 24, { outputs: [{ interface: 'in0', group: '239.1.0.9', port: 5001, ttl: 8, ttlMode: 'decrement', ...out }] });
    expect(() => RuleTable.from([loop({})])).toThrow(/^rules\[0\]\.outputs\[0\]: output 239\.1\.0\.9 lies in the input's groups on in0: this would loop/);
    expect(() => RuleTable.from([loop({ group: '239.1.0.0', prefixLength: 24 })])).toThrow(/output is identical to the input on in0: this would loop/);
    expect(RuleTable.from([loop({ port: 5002 })]).size).toBe(1);
    expect(RuleTable.from([loop({ group: '239.2.0.9' })]).size).toBe(1);
  });

  it('counts a joined range as all its groups against maxGroupsPerInterface, and join: false as none', () => {
    let t = RuleTable.empty;
    const ranges = RELAY_LIMITS.maxGroupsPerInterface / 256;
    for (let n = 0; n < ranges; n++) t = t.with(ranged(`r${n}`, `239.1.${n}.0`, 24));
    expect(() => t.with(ranged('one-more', '239.9.9.9'))).toThrow(/^rule\.input\.group: in0 has 1024 groups already/);
    expect(() => t.with(ranged('range-more', '239.9.9.0', 25))).toThrow(/in0 has 1024 groups already and this range would join 128 more/);
    // The same range on another port joins nothing new; a rule that joins nothing always fits.
    expect(t.with(ranged('again', '239.1.0.0', 24, {}, { port: 5002 })).size).toBe(ranges + 1);
    const passive = t.with(ranged('passive', '239.9.0.0', 16, { join: false }));
    expect(passive.size).toBe(ranges + 1);
    // Removing a range gives its groups back.
    expect(t.without('r0')!.with(ranged('back', '239.9.9.0', 24)).size).toBe(ranges);
  });

  it(`holds at most NATIVE_LIMITS.maxRangeRulesPerTable (${NATIVE_LIMITS.maxRangeRulesPerTable}) range rules per input interface`, () => {
    const max = NATIVE_LIMITS.maxRangeRulesPerTable;
    const many = Array.from({ length: max }, (_, n) => ranged(`r${n}`, '239.1.0.0', 24, { join: false }, { port: 1 + n }));
    const t = RuleTable.from(many);
    expect(() => t.with(ranged('one-more', '239.1.0.0', 24, { join: false }, { port: 60000 }))).toThrow(/^rule\.input\.group: in0 has 256 range rules already, the most one input interface may have \(NATIVE_LIMITS\.maxRangeRulesPerTable\)/);
    // Exact rules, other interfaces, and a freed slot are fine.
    expect(t.with(ranged('exact', '239.1.0.1', undefined, {}, { port: 60000 })).size).toBe(max + 1);
    expect(t.with(ranged('other', '239.1.0.0', 24, { join: false }, { interface: 'in1' })).size).toBe(max + 1);
    expect(t.without('r0')!.with(ranged('again', '239.1.0.0', 24, { join: false }, { port: 60000 })).size).toBe(max);
  });

  it('lists the input interface of a rule that joins nothing, and forgets it with its last rule', () => {
    const t = RuleTable.from([ranged('p', '239.1.0.0', 16, { join: false }, { interface: 'in7' })]);
    expect(t.inputInterfaces()).toEqual(['in7']);
    expect(t.without('p')!.inputInterfaces()).toEqual([]);
  });
});
