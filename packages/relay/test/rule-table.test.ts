import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import type { Rule } from '../src/config/types.js';
import { RELAY_LIMITS } from '../src/config/limits.js';
import { RuleTable } from '../src/rules/rule-table.js';

const rule = (id: string, group: string, port = 5001, iface = 'in0'): Rule => ({
  id,
  input: { interface: iface, group, port },
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
    const vlan = (id: string, v?: number): Rule => ({ ...rule(id, '239.1.1.1'), input: { interface: 'in0', group: '239.1.1.1', port: 5001, ...(v === undefined ? {} : { vlan: v }) } });
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
