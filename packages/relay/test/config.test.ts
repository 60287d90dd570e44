import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import { parseConfig } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { interfaceExists } from '../src/net/interfaces.js';

// Real sysfs: "lo" exists in every namespace, "nosuch0" in none.
const options = { interfaceExists };
const rule = (over: Record<string, unknown> = {}) => ({
  id: 's1',
  input: { interface: 'lo', group: '239.1.1.1', port: 5001 },
  outputs: [{ interface: 'lo', group: '239.9.9.1', port: 6001, ttl: 8 }],
  ...over,
});

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills in defaults', () => {
    const c = parseConfig({ rules: [rule()] }, options);
    expect(c).toMatchObject({ workers: 1, dataPlane: { batchSize: 64, coalesceMicros: 300 }, fanout: { mode: 'hash' }, igmp: { join: true }, control: { socket: '/run/mcr/control.sock', mode: 0o600 } });
    expect(c.rules[0]!.outputs[0]!.ttl).toBe(8);
  });

  it('generates ids that never collide with explicit ones', () => {
    const c = parseConfig({ rules: [rule({ id: undefined }), rule({ id: 'rule-1', input: { interface: 'lo', group: '239.1.1.2', port: 5001 } })] }, options);
    expect(c.rules.map((r) => r.id)).toEqual(['rule-1-auto', 'rule-1']);
  });

  it('names the field of every problem', () => {
    const issues = issuesOf({
      workers: 0,
      fanout: { mode: 'round-robin' },
      rules: [
        rule(),
        rule(),
        rule(),
        rule({ id: 'x', input: { interface: 'lo', group: '239.1.1.3', port: 5001 }, outputs: [{ interface: 'lo', group: '239.9.9.9', port: 70000 }] }),
      ],
    });
    expect(issues).toContain('workers: must be 1..64, got 0');
    expect(issues).toContain('fanout.mode: must be one of hash | cpu | lb | off, got "round-robin"');
    expect(issues).toContain('rules[3].outputs[0].port: must be 1..65535, got 70000');
    expect(issuesOf({ dataPlane: { coalesceMicros: 5000 } })).toContain('dataPlane.coalesceMicros: must be 0..1000, got 5000');
  });

  it('rejects an unknown interface, a unicast input group, a duplicate input and a loop', () => {
    expect(issuesOf({ rules: [rule({ input: { interface: 'nosuch0', group: '239.1.1.1', port: 1 } })] })).toContain('rules[0].input.interface: unknown interface "nosuch0"');
    expect(issuesOf({ rules: [rule({ input: { interface: 'lo', group: '10.1.1.1', port: 1 } })] })[0]).toMatch(/^rules\[0\]\.input\.group: must be an IPv4 multicast group/);
    expect(issuesOf({ rules: [rule(), rule({ id: 's2' })] })[0]).toMatch(/^rules\[1\]\.input: duplicate input: rule "s1"/);
    expect(issuesOf({ rules: [rule({ outputs: [{ interface: 'lo', group: '239.1.1.1', port: 5001 }] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]: .*loop/);
    expect(issuesOf({ rules: [rule(), rule()] })).toContain('rules[1].id: duplicate rule id "s1"');
  });

  it('rejects unknown fields, so a typo is not silently a default', () => {
    expect(issuesOf({ worker: 2 })[0]).toMatch(/^worker: unknown field/);
    expect(issuesOf({ rules: [rule({ outputs: [{ interface: 'lo', group: '239.9.9.1', port: 1, tll: 3 }] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]\.tll: unknown field/);
  });

  it('reads JSON5 and reports syntax errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcr-config-'));
    const good = join(dir, 'good.json5');
    writeFileSync(good, `{ workers: 2, // comment\n rules: [ { input: { interface: "lo", group: "239.1.1.1", port: 5001 }, outputs: [ { interface: "lo", group: "239.9.9.1", port: 6001 } ] } ] }`);
    expect(loadConfig(good, options).workers).toBe(2);
    const bad = join(dir, 'bad.json5');
    writeFileSync(bad, '{ workers: ');
    expect(() => loadConfig(bad, options)).toThrow(/bad\.json5 is not valid JSON5/);
    expect(() => loadConfig(join(dir, 'missing.json5'), options)).toThrow(/cannot read config file .*ENOENT/);
  });
});
