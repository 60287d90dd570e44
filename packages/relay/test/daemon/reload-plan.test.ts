import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/config/types.js';
import { planReload } from '../../src/daemon/reload-plan.js';
import { RuleTable } from '../../src/rules/rule-table.js';
import { ConfigError } from '../../src/config/config-error.js';

const rule = (id: string, port: number, outPort = 6000 + port): Rule => ({
  id,
  input: { interface: 'in0', group: `239.1.1.${port % 250}`, port, family: 'ipv4' },
  outputs: [{ interface: 'out0', group: '239.9.9.1', port: outPort, ttl: 8, ttlMode: 'decrement' }],
});

describe('reload plan', () => {
  it('sorts rules into added, removed, changed, unchanged, and keeps runtime rules the file does not name', () => {
    const current = RuleTable.from([rule('a', 1), rule('b', 2), rule('c', 3), rule('rt', 4), rule('rt2', 5)]);
    const plan = planReload(current, new Set(['rt', 'rt2']), [rule('a', 1), rule('c', 3, 9999), rule('d', 6), rule('rt2', 5, 7777)]);
    expect(plan.summary).toMatchObject({ added: ['d'], removed: ['b'], changed: ['c', 'rt2'], unchanged: 2, kept: ['rt'] });
    expect(plan.change.added.map((r) => r.id).sort()).toEqual(['c', 'd', 'rt2']);
    expect(plan.change.removed.map((r) => r.id).sort()).toEqual(['b', 'c', 'rt2']);
    expect(plan.next.list().map((r) => r.id).sort()).toEqual(['a', 'c', 'd', 'rt', 'rt2']);
  });

  it('refuses a file whose rule takes the input of a kept runtime rule, naming both', () => {
    const current = RuleTable.from([rule('rt', 4)]);
    try {
      planReload(current, new Set(['rt']), [rule('f', 4)]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toEqual([{ path: 'runtime.rt.input', message: expect.stringMatching(/rule "f" already relays/) }]);
    }
  });
});
