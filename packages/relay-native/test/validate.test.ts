// Argument validation happens in TS, before any native call: TypeError/RangeError naming the
// argument. These need no namespace (nothing is opened when validation fails).
import { describe, expect, it } from 'vitest';

import { benchHotPath, DataPlaneWorker, ListenerSocket, MembershipSocket, NATIVE_LIMITS, type ListenerSocketOptions, type RuleSpec, type WorkerOptions } from '../src/index.js';
import { normalizeListenerMessage, normalizeRules, normalizeTableContext } from '../src/validate.js';

const output = {
  interface: 'eth0',
  ifindex: 0,
  group: '239.9.9.1',
  port: 6001,
  ttl: 8,
  sourceAddress: '10.0.0.1',
  sourceMac: '02:00:00:00:00:01',
};
const rule: RuleSpec = { id: 'r', group: '239.1.1.1', port: 5001, outputs: [output] };

describe('argument validation', () => {
  it('names the option in worker option errors', () => {
    const base: WorkerOptions = { interface: 'eth0', ifindex: 1, fanout: null };
    expect(() => new DataPlaneWorker({ ...base, ifindex: 0 })).toThrow(new RangeError('options.ifindex: must be 1..2147483647, got 0'));
    expect(() => new DataPlaneWorker({ ...base, interface: 7 as unknown as string })).toThrow(TypeError);
    expect(() => new DataPlaneWorker({ ...base, interface: 'a-very-long-interface-name' })).toThrow(/options\.interface/);
    expect(() => new DataPlaneWorker({ ...base, fanout: { mode: 'rr' as 'hash' } })).toThrow(RangeError);
    expect(() => new DataPlaneWorker({ ...base, fanout: { mode: 'hash', id: 70000 } })).toThrow(/options\.fanout\.id/);
    expect(() => new DataPlaneWorker({ ...base, batchSize: 0 })).toThrow(/options\.batchSize/);
    expect(() => new DataPlaneWorker({ interface: 'eth0', ifindex: 1 } as WorkerOptions)).toThrow(/options\.fanout/);
    expect(() => new DataPlaneWorker({ ...base, batchSize: NATIVE_LIMITS.maxBatchSize + 1 })).toThrow(RangeError);
    expect(() => new DataPlaneWorker({ ...base, coalesceMicros: NATIVE_LIMITS.maxCoalesceMicros + 1 })).toThrow(/options\.coalesceMicros/);
    expect(() => new DataPlaneWorker({ ...base, latencyBudgetMicros: NATIVE_LIMITS.maxLatencyBudgetMicros + 1 })).toThrow(
      new RangeError('options.latencyBudgetMicros: must be 0..1000, got 1001'),
    );
    expect(() => new DataPlaneWorker({ ...base, latencyBudgetMicros: -1 })).toThrow(/options\.latencyBudgetMicros/);
    expect(() => new DataPlaneWorker({ ...base, allMulticast: 1 as unknown as boolean })).toThrow(
      new TypeError('options.allMulticast: must be true or false, got 1'),
    );
    expect(() => new DataPlaneWorker({ ...base, injectedWorkNanos: NATIVE_LIMITS.maxInjectedWorkNanos + 1 })).toThrow(
      new RangeError('options.injectedWorkNanos: must be 0..100000, got 100001'),
    );
  });

  it('holds the rules to NATIVE_LIMITS: 64 outputs pass, 65 and too many rules are refused naming the limit', () => {
    const outputs = (n: number) => Array.from({ length: n }, (_, k) => ({ ...output, port: 1000 + k }));
    expect(normalizeRules('rules', [{ ...rule, outputs: outputs(NATIVE_LIMITS.maxOutputsPerRule) }])[0]!.outputs).toHaveLength(64);
    expect(() => normalizeRules('rules', [{ ...rule, outputs: outputs(NATIVE_LIMITS.maxOutputsPerRule + 1) }])).toThrow(
      new RangeError('rules[0].outputs: must hold at most 64 outputs (NATIVE_LIMITS.maxOutputsPerRule), got 65'),
    );
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rule, id: `r${i}`, outputs: [] }));
    expect(normalizeRules('rules', many(NATIVE_LIMITS.maxRulesPerTable))).toHaveLength(4096);
    expect(() => normalizeRules('rules', many(NATIVE_LIMITS.maxRulesPerTable + 1))).toThrow(/at most 4096 rules \(NATIVE_LIMITS\.maxRulesPerTable\)/);
  });

  it('checks vlan, maxPps, ttlMode and ifindex 0 (an absent output)', () => {
    const bench = (rules: unknown) => normalizeRules('rules', rules);
    expect(bench([{ ...rule, vlan: 4095, maxPps: NATIVE_LIMITS.maxPps }])[0]).toMatchObject({ vlan: 4095, maxPps: 10_000_000 });
    expect(bench([rule])[0]).toMatchObject({ vlan: -1, maxPps: 0 });
    expect(() => bench([{ ...rule, vlan: 4096 }])).toThrow(new RangeError('rules[0].vlan: must be 1..4095, got 4096'));
    expect(() => bench([{ ...rule, vlan: '1' }])).toThrow(TypeError);
    // A priority tag (VLAN 0) is no VLAN: such frames match rules without one.
    expect(() => bench([{ ...rule, vlan: 0 }])).toThrow(new RangeError('rules[0].vlan: must be 1..4095, got 0'));
    expect(() => bench([{ ...rule, maxPps: 0 }])).toThrow(/rules\[0\]\.maxPps: must be 1\.\.10000000/);
    expect(() => bench([{ ...rule, maxPps: 1.5 }])).toThrow(RangeError);
    expect(bench([{ ...rule, outputs: [{ ...output, ttlMode: 'set' }] }])[0]!.outputs[0]!.ttlSet).toBe(true);
    expect(bench([{ ...rule, outputs: [{ ...output, ttlMode: 'decrement' }] }])[0]!.outputs[0]!.ttlSet).toBe(false);
    expect(() => bench([{ ...rule, outputs: [{ ...output, ttlMode: 'keep' }] }])).toThrow(
      new RangeError(`rules[0].outputs[0].ttlMode: must be one of decrement | set, got "keep"`),
    );
    expect(bench([{ ...rule, outputs: [{ ...output, ifindex: 0 }] }])[0]!.outputs[0]!.ifindex).toBe(0);
    expect(() => bench([{ ...rule, outputs: [{ ...output, ifindex: -1 }] }])).toThrow(/rules\[0\]\.outputs\[0\]\.ifindex/);
  });

  it('checks the table context (own MACs)', () => {
    expect(normalizeTableContext('context', undefined)).toHaveLength(0);
    expect(normalizeTableContext('context', { ownMacs: ['02:00:00:00:00:01', 'AA:BB:CC:DD:EE:FF'] })).toEqual(
      Buffer.from([2, 0, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
    );
    expect(() => normalizeTableContext('context', { ownMacs: ['02:00'] })).toThrow(/context\.ownMacs\[0\]: must be a MAC address like 'aa:bb:cc:dd:ee:ff', got "02:00"/);
    expect(() => normalizeTableContext('context', {})).toThrow(new TypeError('context.ownMacs: must be an array, got nothing'));
    const macs = Array.from({ length: NATIVE_LIMITS.maxOwnMacs + 1 }, () => '02:00:00:00:00:01');
    expect(() => normalizeTableContext('context', { ownMacs: macs })).toThrow(/at most 1024 addresses \(NATIVE_LIMITS\.maxOwnMacs\)/);
  });

  it('names the rule field in rule errors', () => {
    const bench = (rules: unknown) => benchHotPath({ frames: [], rules: rules as RuleSpec[], iterations: 1 });
    expect(() => bench([{ ...rule, group: '10.0.0.1' }])).toThrow(/rules\[0\]\.group: must be a multicast address/);
    expect(() => bench([{ ...rule, port: 0 }])).toThrow(RangeError);
    expect(() => bench([{ ...rule, source: '1.2.3' }])).toThrow(/rules\[0\]\.source/);
    expect(() => bench([rule, rule])).toThrow(/must be unique/);
    expect(() => bench([{ ...rule, outputs: [{ ...output, ttl: 256 }] }])).toThrow(/rules\[0\]\.outputs\[0\]\.ttl/);
    expect(() => bench([{ ...rule, outputs: [{ ...output, sourceMac: '02:00' }] }])).toThrow(/sourceMac/);
    expect(() => bench([{ ...rule, outputs: 'x' }])).toThrow(TypeError);
  });

  it('checks membership arguments before any syscall', () => {
    const socket = new MembershipSocket();
    try {
      expect(() => socket.join(0, '239.1.1.1')).toThrow(/ifindex/);
      expect(() => socket.join(1, '10.1.1.1')).toThrow(/group: must be a multicast address/);
    } finally {
      socket.close();
    }
  });

  describe('ListenerSocket', () => {
    const options: ListenerSocketOptions = { ifindex: 1, interfaceName: 'eth0', family: 'ipv4', onPacket: () => undefined };
    const open = (o: unknown) => () => new ListenerSocket(o as ListenerSocketOptions);
    const message = { source: '10.0.0.1', destination: '224.0.0.1', payload: Buffer.alloc(12) };
    const v4 = (m: unknown) => normalizeListenerMessage('ipv4', 'message', m);
    const v6 = (m: unknown) => normalizeListenerMessage('ipv6', 'message', m);

    it('checks the options before opening anything', () => {
      expect(open({ ...options, ifindex: 0 })).toThrow(new RangeError('options.ifindex: must be 1..2147483647, got 0'));
      expect(open({ ...options, family: 'ipv5' })).toThrow(new RangeError('options.family: must be one of ipv4 | ipv6, got "ipv5"'));
      expect(open({ ...options, interfaceName: 'a-very-long-interface-name' })).toThrow(/options\.interfaceName/);
      expect(open({ ...options, onPacket: undefined })).toThrow(new TypeError('options.onPacket: must be a function, got nothing'));
      expect(open({ ...options, onError: 'log' })).toThrow(new TypeError('options.onError: must be a function, got "log"'));
    });

    it('takes a message of the socket\'s family, from a unicast source, to a multicast destination, with NATIVE_LIMITS\' payload bounds', () => {
      const m = v4({ ...message, source: '0.0.0.0' });
      expect(m).toMatchObject({ source: Buffer.alloc(4), destination: Buffer.from([224, 0, 0, 1]), destinationText: '224.0.0.1' });
      expect(v6({ source: 'FE80::1', destination: 'ff02::1', payload: new Uint8Array(28) }).payload).toBeInstanceOf(Buffer);
      expect(() => v4({ ...message, source: 'fe80::1' })).toThrow(new RangeError(`message.source: must be an IPv4 address (the socket's family), got "fe80::1"`));
      expect(() => v6({ ...message, source: 'fe80::1' })).toThrow(new RangeError(`message.destination: must be an IPv6 address (the socket's family), got "224.0.0.1"`));
      expect(() => v4({ ...message, destination: '10.0.0.2' })).toThrow(/message\.destination: must be a multicast address in 224\.0\.0\.0\/4/);
      expect(() => v4({ ...message, source: '224.0.0.5' })).toThrow(new RangeError('message.source: must be a unicast IPv4 address or 0.0.0.0, got "224.0.0.5"'));
      expect(() => v4({ ...message, source: '127.0.0.1' })).toThrow(/message\.source: must be a unicast IPv4 address or 0\.0\.0\.0, not a loopback address/);
      expect(() => v4({ ...message, source: '255.255.255.255' })).toThrow(/not the limited broadcast address/);
      expect(() => v6({ source: 'fd00::1', destination: 'ff02::1', payload: message.payload })).toThrow(
        new RangeError('message.source: must be an IPv6 link-local address (fe80::/10: MLD is sent from one, RFC 3810 §5), got "fd00::1"'),
      );
      const { minListenerPayloadBytes: min, maxListenerPayloadBytes: max } = NATIVE_LIMITS;
      expect(v4({ ...message, payload: Buffer.alloc(min) }).payload).toHaveLength(8);
      expect(v4({ ...message, payload: Buffer.alloc(max) }).payload).toHaveLength(1452);
      expect(() => v4({ ...message, payload: Buffer.alloc(min - 1) })).toThrow(new RangeError('message.payload: must hold 8..1452 bytes, got 7'));
      expect(() => v4({ ...message, payload: Buffer.alloc(max + 1) })).toThrow(new RangeError('message.payload: must hold 8..1452 bytes, got 1453'));
      expect(() => v4({ ...message, payload: 'query' })).toThrow(new TypeError('message.payload: must be a Buffer, got "query"'));
    });
  });

  describe('families and group ranges', () => {
    const output6 = { ...output, group: 'ff3e::9:2', sourceAddress: 'fd00:0:0:2::1' };
    const rule6: RuleSpec = { id: 'r6', group: 'ff3e::1:2', port: 5001, outputs: [output6] };
    const rules = (list: unknown) => normalizeRules('rules', list);

    it('accepts IPv6 rules and hands native code 16-byte addresses', () => {
      const [r] = rules([{ ...rule6, source: 'FD00:0:0:1::1' }]);
      expect(r).toMatchObject({ prefixLength: 128, hasSource: true });
      expect(r!.group).toEqual(Buffer.from('ff3e0000000000000000000000010002', 'hex'));
      expect(r!.source).toEqual(Buffer.from('fd000000000000010000000000000001', 'hex'));
      expect(r!.outputs[0]).toMatchObject({ multicast: true, mapsRange: false });
      expect(r!.outputs[0]!.sourceAddress).toHaveLength(16);
      const unicast = rules([{ ...rule6, outputs: [{ ...output6, group: 'fd00:0:0:2::2' }] }])[0]!.outputs[0]!;
      expect(unicast.multicast).toBe(false);
    });

    it('refuses mixed families, naming the field', () => {
      expect(() => rules([{ ...rule6, outputs: [{ ...output6, group: '239.9.9.1' }] }])).toThrow(
        new RangeError(`rules[0].outputs[0].group: must be an IPv6 address like the rule's group (one family per rule), got "239.9.9.1"`),
      );
      expect(() => rules([{ ...rule6, outputs: [{ ...output6, sourceAddress: '10.0.0.1' }] }])).toThrow(/rules\[0\]\.outputs\[0\]\.sourceAddress: must be an IPv6 address/);
      expect(() => rules([{ ...rule6, source: '10.1.0.1' }])).toThrow(/rules\[0\]\.source: must be an IPv6 address/);
      expect(() => rules([{ ...rule, outputs: [output6] }])).toThrow(/rules\[0\]\.outputs\[0\]\.group: must be an IPv4 address/);
      expect(() => rules([{ ...rule6, group: 'fd00::1' }])).toThrow(/rules\[0\]\.group: must be a multicast address in ff00::\/8/);
      expect(() => rules([{ ...rule6, group: '::ffff:239.1.1.1' }])).toThrow(/rules\[0\]\.group: must be a multicast address in ff00::\/8/);
      expect(() => rules([{ ...rule6, group: 'ff02::1%eth0' }])).toThrow(/rules\[0\]\.group: must be a dotted-quad IPv4 or an IPv6 address \(no zone index\)/);
    });

    it('checks range prefixes: family bounds, host bits, offset-mapped outputs', () => {
      const range4 = { ...rule, group: '239.1.0.0', groupPrefixLength: 24 };
      expect(rules([range4])[0]!.prefixLength).toBe(24);
      expect(rules([{ ...range4, outputs: [{ ...output, group: '239.9.0.0', groupPrefixLength: 24 }] }])[0]!.outputs[0]!.mapsRange).toBe(true);
      expect(() => rules([{ ...range4, groupPrefixLength: 7 }])).toThrow(new RangeError(`rules[0].groupPrefixLength: a range's prefix length must be 8..32 for IPv4, got "239.1.0.0" (/7)`));
      expect(() => rules([{ ...range4, group: '239.1.0.1' }])).toThrow(
        new RangeError(`rules[0].group: the host bits of a range's base must be zero (did you mean 239.1.0.0/24?), got "239.1.0.1"`),
      );
      expect(() => rules([{ ...rule6, groupPrefixLength: 15 }])).toThrow(/rules\[0\]\.groupPrefixLength: a range's prefix length must be 16\.\.128 for IPv6/);
      expect(() => rules([{ ...rule6, groupPrefixLength: 120 }])).toThrow(/rules\[0\]\.group: the host bits of a range's base must be zero \(did you mean ff3e::1:0\/120\?\)/);
      const range6 = { ...rule6, group: 'ff3e::1:0', groupPrefixLength: 112 };
      expect(rules([{ ...range6, outputs: [{ ...output6, group: 'ff3e::9:0', groupPrefixLength: 112 }] }])[0]!.outputs[0]!.mapsRange).toBe(true);
      expect(() => rules([{ ...range6, outputs: [{ ...output6, group: 'ff3e::9:0', groupPrefixLength: 120 }] }])).toThrow(
        new RangeError(`rules[0].outputs[0].groupPrefixLength: must equal the rule's groupPrefixLength 112 (offset mapping), got 120`),
      );
      expect(() => rules([{ ...range6, outputs: [{ ...output6, group: 'ff3e::9:5', groupPrefixLength: 112 }] }])).toThrow(
        /rules\[0\]\.outputs\[0\]\.group: the host bits of a range's base must be zero/,
      );
      expect(() => rules([{ ...range6, outputs: [{ ...output6, group: 'fd00::', groupPrefixLength: 112 }] }])).toThrow(
        /rules\[0\]\.outputs\[0\]\.groupPrefixLength: needs a multicast group/,
      );
      expect(() => rules([{ ...rule6, outputs: [{ ...output6, groupPrefixLength: 128 }] }])).toThrow(
        /rules\[0\]\.outputs\[0\]\.groupPrefixLength: is allowed only on a range rule's output/,
      );
      const single = rules([{ ...rule6, groupPrefixLength: 128, outputs: [{ ...output6, groupPrefixLength: 128 }] }])[0]!;
      expect(single).toMatchObject({ prefixLength: 128 });
      expect(single.outputs[0]!.mapsRange).toBe(false);
      expect(() => rules([range4, { ...range4, id: 'again' }])).toThrow(/rules\[1\]\.groupPrefixLength: repeats the range, port, VLAN and source of the rule at index 0/);
      expect(rules([range4, { ...range4, id: 'ssm', source: '10.1.0.1' }])).toHaveLength(2);
    });

    it('holds range rules to NATIVE_LIMITS.maxRangeRulesPerTable', () => {
      const ranges = (n: number) => Array.from({ length: n }, (_, i) => ({ ...rule, id: `r${i}`, group: `239.${i >> 8}.${i & 0xff}.0`, groupPrefixLength: 24, outputs: [] }));
      expect(rules(ranges(NATIVE_LIMITS.maxRangeRulesPerTable))).toHaveLength(256);
      expect(() => rules(ranges(NATIVE_LIMITS.maxRangeRulesPerTable + 1))).toThrow(
        new RangeError('rules: must hold at most 256 range rules (NATIVE_LIMITS.maxRangeRulesPerTable), got 257'),
      );
    });

    describe('listener gates (OutputSpec.listeners)', () => {
      const range4 = { ...rule, group: '239.1.0.0', groupPrefixLength: 24, outputs: [{ ...output, group: '239.9.0.0', groupPrefixLength: 24 }] };
      const range6 = { ...rule6, group: 'ff3e::1:0', groupPrefixLength: 112, outputs: [{ ...output6, group: 'ff3e::9:0', groupPrefixLength: 112 }] };
      /** `r` with these gates on its first output. */
      const gated = (r: RuleSpec, listeners: unknown): unknown => ({ ...r, outputs: [{ ...r.outputs[0]!, listeners }] });
      const encoded = (r: RuleSpec, listeners: unknown) => rules([gated(r, listeners)])[0]!.outputs[0]!.listeners;

      it('hands native code null without gates, and each gate as group, mode, source count, sources', () => {
        expect(rules([rule])[0]!.outputs[0]!.listeners).toBeNull();
        expect(encoded(rule, [])).toEqual(Buffer.alloc(0));
        expect(encoded(rule, [{ group: '239.9.9.1', mode: 'include', sources: ['10.1.0.1', '10.1.0.2'] }])).toEqual(
          Buffer.from('ef090901' + '01' + '0002' + '0a010001' + '0a010002', 'hex'),
        );
        expect(encoded(range4, [{ group: '239.9.0.7', mode: 'exclude', sources: [] }, { group: '239.9.0.5', mode: 'include', sources: [] }])).toEqual(
          Buffer.from('ef090007' + '00' + '0000' + 'ef090005' + '01' + '0000', 'hex'),
        );
        expect(encoded(range6, [{ group: 'FF3E::9:5', mode: 'exclude', sources: ['fd00:0:0:1::1'] }])).toEqual(
          Buffer.from('ff3e0000000000000000000000090005' + '00' + '0001' + 'fd000000000000010000000000000001', 'hex'),
        );
      });

      it('refuses gates on a unicast output', () => {
        const unicast = { ...rule, outputs: [{ ...output, group: '10.2.0.2' }] };
        expect(() => rules([gated(unicast, [])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners: are allowed only on a multicast output (group "10.2.0.2" is unicast), got 0 gate(s)'),
        );
      });

      it('refuses a group that is not one of the output\'s destinations, of another family, or not multicast', () => {
        expect(() => rules([gated(rule, [{ group: '239.1.1.1', mode: 'exclude', sources: [] }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].group: must be a destination of this output: 239.9.9.1 (its group), got "239.1.1.1"'),
        );
        expect(() => rules([gated(range4, [{ group: '239.9.1.7', mode: 'exclude', sources: [] }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].group: must be a destination of this output: within 239.9.0.0/24 (its group, offset mapping), got "239.9.1.7"'),
        );
        // The input group is the likely slip: a gate names what the output sends.
        expect(() => rules([gated(range4, [{ group: '239.1.0.7', mode: 'exclude', sources: [] }])])).toThrow(/listeners\[0\]\.group: must be a destination of this output/);
        expect(() => rules([gated(range6, [{ group: 'ff3e::8:1', mode: 'exclude', sources: [] }])])).toThrow(/within ff3e::9:0\/112 \(its group, offset mapping\), got "ff3e::8:1"/);
        expect(() => rules([gated(rule6, [{ group: '239.9.9.1', mode: 'exclude', sources: [] }])])).toThrow(
          new RangeError(`rules[0].outputs[0].listeners[0].group: must be an IPv6 address like the rule's group (one family per rule), got "239.9.9.1"`),
        );
        expect(() => rules([gated(rule, [{ group: '10.9.9.1', mode: 'exclude', sources: [] }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].group: must be a multicast address in 224.0.0.0/4, got "10.9.9.1"'),
        );
      });

      it('refuses a group twice in one output (compared as addresses), not in two outputs', () => {
        expect(() => rules([gated(range6, [{ group: 'ff3e::9:5', mode: 'exclude', sources: [] }, { group: 'FF3E:0::9:5', mode: 'include', sources: [] }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[1].group: repeats the group of listeners[0] (one gate per group), got "FF3E:0::9:5"'),
        );
        const gate = { group: '239.9.9.1', mode: 'exclude', sources: [] };
        expect(rules([{ ...rule, outputs: [{ ...output, listeners: [gate] }, { ...output, port: 6002, listeners: [gate] }] }])[0]!.outputs).toHaveLength(2);
      });

      it('refuses a mode other than include | exclude, and sources that are not an array', () => {
        expect(() => rules([gated(rule, [{ group: '239.9.9.1', mode: 'allow', sources: [] }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].mode: must be one of include | exclude, got "allow"'),
        );
        expect(() => rules([gated(rule, [{ group: '239.9.9.1', mode: 'include' }])])).toThrow(new TypeError('rules[0].outputs[0].listeners[0].sources: must be an array, got nothing'));
        expect(() => rules([gated(rule, {})])).toThrow(new TypeError('rules[0].outputs[0].listeners: must be an array, got an object'));
      });

      it('refuses sources that are invalid, of another family, multicast, or repeated', () => {
        const gate = (sources: string[]) => [{ group: '239.9.9.1', mode: 'include', sources }];
        expect(() => rules([gated(rule, gate(['10.1.0.256']))])).toThrow(/rules\[0\]\.outputs\[0\]\.listeners\[0\]\.sources\[0\]: must be a dotted-quad IPv4 or an IPv6 address/);
        expect(() => rules([gated(rule, gate(['10.1.0.1', 'fd00::1']))])).toThrow(
          new RangeError(`rules[0].outputs[0].listeners[0].sources[1]: must be an IPv4 address like the rule's group (one family per rule), got "fd00::1"`),
        );
        expect(() => rules([gated(rule, gate(['239.1.1.1']))])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].sources[0]: must be a unicast address (a source of traffic), got "239.1.1.1"'),
        );
        expect(() => rules([gated(rule, gate(['10.1.0.1', '10.1.0.2', '10.1.0.1']))])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].sources[2]: repeats sources[0] (each source once), got "10.1.0.1"'),
        );
        expect(() => rules([gated(rule6, [{ group: 'ff3e::9:2', mode: 'exclude', sources: ['fd00::1', 'FD00:0::1'] }])])).toThrow(
          /listeners\[0\]\.sources\[1\]: repeats sources\[0\] \(each source once\), got "FD00:0::1"/,
        );
      });

      it('holds gates to NATIVE_LIMITS: sources per gate, gates per output, gates and sources per table', () => {
        const sources = (n: number) => Array.from({ length: n }, (_, i) => `10.1.${i >> 8}.${i & 0xff}`);
        const wide = { ...rule, group: '239.1.0.0', groupPrefixLength: 16, outputs: [{ ...output, group: '239.9.0.0', groupPrefixLength: 16 }] };
        const gates = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ group: `239.9.${(from + i) >> 8}.${(from + i) & 0xff}`, mode: 'exclude', sources: [] }));
        const max = NATIVE_LIMITS.maxListenerSourcesPerGate;
        expect(encoded(rule, [{ group: '239.9.9.1', mode: 'include', sources: sources(max) }])).toHaveLength(4 + 3 + 4 * 64);
        expect(() => rules([gated(rule, [{ group: '239.9.9.1', mode: 'include', sources: sources(max + 1) }])])).toThrow(
          new RangeError('rules[0].outputs[0].listeners[0].sources: must hold at most 64 sources (NATIVE_LIMITS.maxListenerSourcesPerGate), got 65'),
        );
        expect(encoded(wide, gates(NATIVE_LIMITS.maxListenerGroupsPerOutput))).toHaveLength(4096 * 7);
        expect(() => rules([gated(wide, gates(NATIVE_LIMITS.maxListenerGroupsPerOutput + 1))])).toThrow(
          new RangeError('rules[0].outputs[0].listeners: must hold at most 4096 gates (NATIVE_LIMITS.maxListenerGroupsPerOutput), got 4097'),
        );
        // 16 outputs of 4096 gates fill the table's allowance exactly; a source more is refused.
        const perTable = NATIVE_LIMITS.maxListenerEntriesPerTable / NATIVE_LIMITS.maxListenerGroupsPerOutput;
        const outputs = Array.from({ length: perTable }, (_, k) => ({ ...wide.outputs[0]!, port: 7000 + k, listeners: gates(4096) }));
        expect(rules([{ ...wide, outputs }])[0]!.outputs).toHaveLength(16);
        const over = { ...rule, id: 'one-more', outputs: [{ ...output, listeners: [{ group: '239.9.9.1', mode: 'include', sources: [] }] }] };
        expect(() => rules([{ ...wide, outputs }, over])).toThrow(
          new RangeError('rules: must hold at most 65536 listener gates and sources in all (NATIVE_LIMITS.maxListenerEntriesPerTable), got 65537'),
        );
      });
    });

    it('checks membership families and sources', () => {
      const socket = new MembershipSocket();
      try {
        expect(() => socket.join(1, 'fd00::1')).toThrow(/group: must be a multicast address in ff00::\/8/);
        expect(() => socket.join(1, 'ff3e::1', 'eth0', '10.0.0.1')).toThrow(/source: must be an IPv6 address like the group/);
      } finally {
        socket.close();
      }
    });
  });
});
