import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import { parseConfig, reserveRuleIds } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { NATIVE_LIMITS } from '../src/config/limits.js';
import { WORKER_DEFAULTS } from '@mcr/relay-native';
import { DEFAULTS } from '../src/config/types.js';
import { interfaceExists, isEthernetInterface } from '../src/net/interfaces.js';
import { tempDir } from './temp-dirs.js';

// Real sysfs: "lo" exists in every namespace (and has no Ethernet MAC), "nosuch0" in none; outputs
// need an Ethernet interface, which the host running the tests has.
const options = { interfaceExists };
const ether = readdirSync('/sys/class/net').find(isEthernetInterface);
const out = (over: Record<string, unknown> = {}) => ({ interface: ether, group: '239.9.9.1', port: 6001, ttl: 8, ...over });
const rule = (over: Record<string, unknown> = {}) => ({
  id: 's1',
  input: { interface: 'lo', group: '239.1.1.1', port: 5001 },
  outputs: [out()],
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

describe.skipIf(ether === undefined)('config', () => {
  it('fills in defaults', () => {
    const c = parseConfig({ rules: [rule()] }, options);
    expect(c).toMatchObject({ workers: 1, dataPlane: { batchSize: 64, coalesceMicros: 0, latencyBudgetMicros: WORKER_DEFAULTS.latencyBudgetMicros }, fanout: { mode: 'hash' }, igmp: { join: true }, control: { socket: '/run/mcr/control.sock', mode: 0o600 } });
    expect(c.rules[0]!.outputs[0]!.ttl).toBe(8);
  });

  it('dataPlane.engine: "packet" by default; "tc" refuses, with its path, a rule the tc engine cannot take; "auto" takes it', () => {
    const unicast = rule({ outputs: [out({ group: '10.9.9.9' })] });
    const many = rule({ id: 's2', input: { interface: 'lo', group: '239.1.1.2', port: 5001 }, outputs: Array.from({ length: 17 }, (_, i) => out({ group: `239.9.9.${i + 1}` })) });
    expect(issuesOf({ dataPlane: { engine: 'tc' }, rules: [unicast] })).toEqual(['rules[0]: has a unicast output, which dataPlane.engine "tc" cannot send (use "auto" to leave it to the packet engine)']);
    expect(issuesOf({ dataPlane: { engine: 'tc' }, rules: [many] })[0]).toMatch(/^rules\[0\]: has 17 outputs; dataPlane.engine "tc" clones to at most 16/);
    expect(parseConfig({ dataPlane: { engine: 'auto' }, rules: [unicast, many] }, options).dataPlane.engine).toBe('auto');
    expect(issuesOf({ dataPlane: { engine: 'xdp' } })[0]).toMatch(/^dataPlane\.engine: /);
  });

  it('dataPlane: adaptive pacing by default, the data plane\'s own budget; a fixed window or another budget when asked', () => {
    expect(parseConfig({}, options).dataPlane).toEqual({
      engine: 'packet',
      batchSize: WORKER_DEFAULTS.batchSize,
      coalesceMicros: 0,
      latencyBudgetMicros: WORKER_DEFAULTS.latencyBudgetMicros,
    });
    expect(WORKER_DEFAULTS.latencyBudgetMicros).toBeGreaterThan(0);
    expect(parseConfig({ dataPlane: { latencyBudgetMicros: 0 } }, options).dataPlane.latencyBudgetMicros).toBe(0);
    expect(parseConfig({ dataPlane: { latencyBudgetMicros: NATIVE_LIMITS.maxLatencyBudgetMicros } }, options).dataPlane.latencyBudgetMicros).toBe(NATIVE_LIMITS.maxLatencyBudgetMicros);
    expect(parseConfig({ dataPlane: { coalesceMicros: 300 } }, options).dataPlane).toMatchObject({ coalesceMicros: 300, latencyBudgetMicros: WORKER_DEFAULTS.latencyBudgetMicros });
    const max = NATIVE_LIMITS.maxLatencyBudgetMicros;
    expect(issuesOf({ dataPlane: { latencyBudgetMicros: max + 1 } })).toEqual([`dataPlane.latencyBudgetMicros: must be 0..${max}, got ${max + 1}`]);
    expect(issuesOf({ dataPlane: { latencyBudgetMicros: -1 } })).toEqual([`dataPlane.latencyBudgetMicros: must be 0..${max}, got -1`]);
    expect(issuesOf({ dataPlane: { latencyBudgetMicros: 2.5 } })[0]).toMatch(/^dataPlane\.latencyBudgetMicros: /);
    expect(issuesOf({ dataPlane: { latencyBudgetMicros: '50' } })[0]).toMatch(/^dataPlane\.latencyBudgetMicros: /);
    expect(issuesOf({ dataPlane: { latencyBudget: 50 } })[0]).toMatch(/^dataPlane\.latencyBudget: /);
  });

  it('generates ids that never collide with explicit ones', () => {
    const c = parseConfig({ rules: [rule({ id: undefined }), rule({ id: 'rule-1', input: { interface: 'lo', group: '239.1.1.2', port: 5001 } })] }, options);
    expect(c.rules.map((r) => r.id)).toEqual(['rule-1-auto', 'rule-1']);
    expect(c.generatedIds).toEqual(['rule-1-auto']);
  });

  it('keeps generated ids off the ids reserved for runtime rules, and only those ids move', () => {
    const lo = (n: number, id?: string) => rule({ id, input: { interface: 'lo', group: `239.1.1.${n}`, port: 5001 } });
    const c = parseConfig({ rules: [lo(1), lo(2, 'mine'), lo(3)] }, options);
    expect(c.rules.map((r) => r.id)).toEqual(['rule-1', 'mine', 'rule-3']);
    expect(reserveRuleIds(c, new Set(['run-1', 'mine']))).toBe(c); // explicit ids are the file's to name
    const moved = reserveRuleIds(c, new Set(['rule-3']));
    expect(moved.rules.map((r) => r.id)).toEqual(['rule-1', 'mine', 'rule-3-auto']);
    expect(moved.generatedIds).toEqual(['rule-1', 'rule-3-auto']);
    expect(moved.rules[2]).toEqual({ ...c.rules[2], id: 'rule-3-auto' });
  });

  it('names the field of every problem', () => {
    const issues = issuesOf({
      workers: 0,
      fanout: { mode: 'round-robin' },
      rules: [
        rule(),
        rule(),
        rule(),
        rule({ id: 'x', input: { interface: 'lo', group: '239.1.1.3', port: 5001 }, outputs: [out({ group: '239.9.9.9', port: 70000 })] }),
      ],
    });
    expect(issues).toContain('workers: must be 1..64, got 0');
    expect(issues).toContain('fanout.mode: must be one of hash | cpu | lb | off, got "round-robin"');
    expect(issues).toContain('rules[3].outputs[0].port: must be 1..65535, got 70000');
    expect(issuesOf({ dataPlane: { coalesceMicros: 5000 } })).toContain('dataPlane.coalesceMicros: must be 0..1000, got 5000');
    expect(issuesOf({ dataPlane: { latencyBudgetMicros: NATIVE_LIMITS.maxLatencyBudgetMicros + 1 } })).toEqual([`dataPlane.latencyBudgetMicros: must be 0..${NATIVE_LIMITS.maxLatencyBudgetMicros}, got ${NATIVE_LIMITS.maxLatencyBudgetMicros + 1}`]);
  });

  it('rejects an unknown interface, a unicast input group, a duplicate input and a loop', () => {
    expect(issuesOf({ rules: [rule({ input: { interface: 'nosuch0', group: '239.1.1.1', port: 1 } })] })).toContain('rules[0].input.interface: unknown interface "nosuch0"');
    expect(issuesOf({ rules: [rule({ input: { interface: 'lo', group: '10.1.1.1', port: 1 } })] })[0]).toMatch(/^rules\[0\]\.input\.group: must be an IPv4 multicast group/);
    expect(issuesOf({ rules: [rule(), rule({ id: 's2' })] })[0]).toMatch(/^rules\[1\]\.input: duplicate input: rule "s1"/);
    expect(issuesOf({ rules: [rule({ input: { interface: ether, group: '239.1.1.1', port: 5001 }, outputs: [out({ group: '239.1.1.1', port: 5001 })] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]: .*loop/);
    expect(issuesOf({ rules: [rule(), rule()] })).toContain('rules[1].id: duplicate rule id "s1"');
  });

  it('rejects unknown fields, so a typo is not silently a default', () => {
    expect(issuesOf({ worker: 2 })[0]).toMatch(/^worker: unknown field/);
    expect(issuesOf({ rules: [rule({ outputs: [{ interface: ether, group: '239.9.9.1', port: 1, tll: 3 }] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]\.tll: unknown field/);
  });

  it('fills in the new fields\' defaults and keeps the ones given', () => {
    const c = parseConfig({ rules: [rule({ maxPps: 1000, input: { interface: 'lo', group: '239.1.1.1', port: 5001, vlan: 10 }, outputs: [out({ ttlMode: 'set' }), out({ port: 6002 })] })] }, options);
    expect(c.testOnly).toEqual({ disableLoopGuard: false, ignoreLeaves: false, noLoopCache: false, noReflectorJoins: false, injectedWorkNanos: 0, fanoutIgnoreOutgoingUnsupported: false, noWorkerRestart: false, forgetState: false, tcInjectedCostLoops: 0 });
    expect(c.rules[0]).toMatchObject({ maxPps: 1000, input: { vlan: 10 } });
    expect(c.rules[0]!.outputs.map((o) => o.ttlMode)).toEqual(['set', 'decrement']);
    expect(parseConfig({ dataPlane: { latencyBudgetMicros: 0 } }, options).dataPlane.latencyBudgetMicros).toBe(0);
    expect(parseConfig({ testOnly: { disableLoopGuard: true, injectedWorkNanos: 500 } }, options).testOnly).toEqual({ disableLoopGuard: true, ignoreLeaves: false, noLoopCache: false, noReflectorJoins: false, injectedWorkNanos: 500, fanoutIgnoreOutgoingUnsupported: false, noWorkerRestart: false, forgetState: false, tcInjectedCostLoops: 0 });
  });

  it('refuses, with the field path, every output the data plane could not send', () => {
    const outputs = (n: number) => Array.from({ length: n }, (_, i) => out({ port: 6001 + i }));
    expect(parseConfig({ rules: [rule({ outputs: outputs(NATIVE_LIMITS.maxOutputsPerRule) })] }, options).rules[0]!.outputs).toHaveLength(64);
    expect(issuesOf({ rules: [rule({ outputs: outputs(NATIVE_LIMITS.maxOutputsPerRule + 1) })] })).toEqual([
      "rules[0].outputs: must hold at most 64 outputs (NATIVE_LIMITS.maxOutputsPerRule), got 65",
    ]);
    expect(issuesOf({ rules: [rule({ outputs: [out({ interface: 'lo' })] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]\.interface: lo has no Ethernet MAC address/);
    expect(issuesOf({ rules: [rule({ outputs: [out(), out({ ttl: 3 })] })] })[0]).toMatch(/^rules\[0\]\.outputs\[1\]: duplicate output: rules\[0\]\.outputs\[0\] already sends to 239\.9\.9\.1:6001/);
    expect(issuesOf({ rules: [rule({ outputs: [out({ group: '224.0.0.251' })] })] })[0]).toMatch(/^rules\[0\]\.outputs\[0\]\.group: 224\.0\.0\.0\/24 is link-local .* linkLocal: true/);
    expect(parseConfig({ rules: [rule({ linkLocal: true, outputs: [out({ group: '224.0.0.251' })] })] }, options).rules[0]!.linkLocal).toBe(true);
    for (const [address, why] of [['0.0.0.0', 'unspecified'], ['255.255.255.255', 'broadcast'], ['127.0.0.1', 'loopback'], ['240.1.2.3', 'reserved']]) {
      expect(issuesOf({ rules: [rule({ outputs: [out({ group: address })] })] })[0]).toMatch(new RegExp(`^rules\\[0\\]\\.outputs\\[0\\]\\.group: cannot send to .*${why}`));
    }
    expect(issuesOf({ rules: [rule({ outputs: [out({ ttlMode: 'copy' })] })] })).toContain('rules[0].outputs[0].ttlMode: must be one of decrement | set, got "copy"');
    expect(issuesOf({ rules: [rule({ maxPps: 0 })] })).toContain(`rules[0].maxPps: must be 1..${NATIVE_LIMITS.maxPps}, got 0`);
    expect(issuesOf({ rules: [rule({ input: { interface: 'lo', group: '239.1.1.1', port: 1, vlan: 4096 } })] })).toContain('rules[0].input.vlan: must be 1..4095, got 4096');
    expect(issuesOf({ rules: [rule({ input: { interface: 'lo', group: '239.1.1.1', port: 1, vlan: 0 } })] })).toContain('rules[0].input.vlan: must be 1..4095, got 0');
  });

  it('ignores the $schema key editors use, and nothing else unknown', () => {
    expect(parseConfig({ $schema: './node_modules/@mcr/relay/schema/mcr-config.schema.json', rules: [rule()] }, options).rules).toHaveLength(1);
    expect(parseConfig({ $schema: 'x' }, options)).not.toHaveProperty('$schema');
    expect(issuesOf({ schema: 'x' })[0]).toMatch(/^schema: unknown field \(expected one of: workers, /);
  });

  it('refuses a control socket mode that lets others in', () => {
    expect(parseConfig({ control: { mode: '0660' } }, options).control.mode).toBe(0o660);
    expect(issuesOf({ control: { mode: '0666' } })).toEqual(['control.mode: must not give others access (no bits in 0007), got "0666"']);
    expect(issuesOf({ control: { mode: 0o601 } })).toEqual(['control.mode: must not give others access (no bits in 0007), got "0601"']);
    expect(issuesOf({ control: { mode: 'rw-rw----' } })).toEqual(['control.mode: must be a file mode such as "0600", got "rw-rw----"']);
    expect(issuesOf({ control: { mode: true } })).toEqual(['control.mode: must be a file mode such as "0600", got true']);
    expect(parseConfig({}, options).control).toEqual({ socket: '/run/mcr/control.sock', mode: 0o600, idleTimeout: 10, maxClients: 128 });
  });

  it('reads JSON5 and reports syntax errors with the file name', () => {
    const dir = tempDir('mcr-config-');
    const good = join(dir, 'good.json5');
    writeFileSync(good, `{ workers: 2, // comment\n rules: [ { input: { interface: "lo", group: "239.1.1.1", port: 5001 }, outputs: [ { interface: "${ether}", group: "239.9.9.1", port: 6001 } ] } ] }`);
    expect(loadConfig(good, options).workers).toBe(2);
    const withSchema = join(dir, 'with-schema.json5');
    writeFileSync(withSchema, `{ "$schema": "../node_modules/@mcr/relay/schema/mcr-config.schema.json", workers: 3 }`);
    expect(loadConfig(withSchema, options).workers).toBe(3);
    const bad = join(dir, 'bad.json5');
    writeFileSync(bad, '{ workers: ');
    expect(() => loadConfig(bad, options)).toThrow(/bad\.json5 is not valid JSON5/);
    expect(() => loadConfig(join(dir, 'missing.json5'), options)).toThrow(/cannot read config file .*ENOENT/);
  });
});

describe('config: the igmp section (listeners and querier)', () => {
  it('fills in the RFC defaults and takes the short timers a lab runs', () => {
    expect(parseConfig({}, options).igmp).toEqual({ join: true, querier: 'auto', igmpVersion: 3, mldVersion: 2, robustness: 2, queryInterval: 125, queryResponseInterval: 10, lastMemberQueryInterval: 1 });
    const fast = parseConfig({ igmp: { queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1, querier: 'never' } }, options).igmp;
    expect(fast).toMatchObject({ queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1, querier: 'never' });
  });

  it('refuses what the wire formats or the RFCs cannot carry, naming the field', () => {
    const paths = (igmp: unknown) => {
      try {
        parseConfig({ igmp }, options);
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.path);
      }
      return [];
    };
    expect(paths({ queryInterval: 0.5 })).toEqual(['igmp.queryInterval']);
    expect(paths({ queryInterval: 2, queryResponseInterval: 2 })).toEqual(['igmp.queryResponseInterval']);
    expect(paths({ robustness: 0 })).toEqual(['igmp.robustness']);
    expect(paths({ querier: 'sometimes' })).toEqual(['igmp.querier']);
    expect(paths({ igmpVersion: 2, queryResponseInterval: 30, queryInterval: 60 })).toEqual(['igmp.igmpVersion']);
    expect(paths({ mldVersion: 3 })).toEqual(['igmp.mldVersion']);
  });
});
