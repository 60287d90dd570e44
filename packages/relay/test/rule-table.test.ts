import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import type { Rule } from '../src/config/types.js';
import { RuleTable } from '../src/rules/rule-table.js';

const rule = (id: string, group: string, port = 5001, iface = 'in0'): Rule => ({
  id,
  input: { interface: iface, group, port },
  outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8 }],
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
});
