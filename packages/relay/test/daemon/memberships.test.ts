import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/config/types.js';
import { joinsOf, planJoins } from '../../src/daemon/memberships.js';

const rule = (id: string, input: Partial<Rule['input']>, extra: Partial<Rule> = {}): Rule => ({
  id,
  input: { interface: 'in0', group: '239.1.1.1', port: 5001, family: (input.group ?? '').includes(':') ? 'ipv6' : 'ipv4', ...input },
  outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8, ttlMode: 'decrement' }],
  ...extra,
});

describe('rule memberships', () => {
  it('a rule joins its group, any-source or from its source', () => {
    expect(joinsOf(rule('a', {}))).toEqual([{ interface: 'in0', family: 'ipv4', group: '239.1.1.1' }]);
    expect(joinsOf(rule('b', { group: 'ff3e::1', source: 'fd00:0:0:1::2' }))).toEqual([{ interface: 'in0', family: 'ipv6', group: 'ff3e::1', source: 'fd00:0:0:1::2' }]);
  });

  it('a range joins each of its groups up to the limit; join:false joins nothing; a larger joined range is refused', () => {
    const joins = joinsOf(rule('r', { group: '239.1.0.0', prefixLength: 24 }));
    expect(joins).toHaveLength(256);
    expect(joins[0]).toEqual({ interface: 'in0', family: 'ipv4', group: '239.1.0.0' });
    expect(joins[255]).toEqual({ interface: 'in0', family: 'ipv4', group: '239.1.0.255' });
    const v6 = joinsOf(rule('v6', { group: 'ff3e::1:0', prefixLength: 124, source: 'fd00::2' }));
    expect(v6.map((j) => j.group)).toEqual(Array.from({ length: 16 }, (_, i) => `ff3e::1:${i.toString(16)}`));
    expect(v6.every((j) => j.family === 'ipv6' && j.source === 'fd00::2')).toBe(true);
    expect(joinsOf(rule('wrap', { group: 'ff3e::ff00', prefixLength: 120 })).at(-1)!.group).toBe('ff3e::ffff');
    expect(joinsOf(rule('big', { group: '239.0.0.0', prefixLength: 8 }, { join: false }))).toEqual([]);
    expect(joinsOf(rule('one', {}, { join: false }))).toEqual([]);
    expect(() => joinsOf(rule('big', { group: '239.1.0.0', prefixLength: 23 }))).toThrow(/512 groups joins at most 256 .*join: false/);
  });

  it('a rule replaced in place keeps what both versions need, and only the difference moves', () => {
    const before = rule('r', { group: '239.1.0.0', prefixLength: 30 });
    const after = rule('r', { group: '239.1.0.0', prefixLength: 31 });
    const { joining, leaving } = planJoins([after], [before]);
    expect(joining).toEqual([]);
    expect(leaving.map((j) => j.membership.group)).toEqual(['239.1.0.2', '239.1.0.3']);
    const ssm = planJoins([rule('r', { source: '10.0.0.2' })], [rule('r', {})]);
    expect(ssm.joining).toEqual([{ rule: 'r', membership: { interface: 'in0', family: 'ipv4', group: '239.1.1.1', source: '10.0.0.2' } }]);
    expect(ssm.leaving).toEqual([{ rule: 'r', membership: { interface: 'in0', family: 'ipv4', group: '239.1.1.1' } }]);
    expect(planJoins([rule('a', {})], [rule('a', {})])).toEqual({ joining: [], leaving: [] });
  });
});
