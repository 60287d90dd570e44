// Argument validation happens in TS, before any native call: TypeError/RangeError naming the
// argument. These need no namespace (nothing is opened when validation fails).
import { describe, expect, it } from 'vitest';

import { benchHotPath, DataPlaneWorker, MembershipSocket, type RuleSpec, type WorkerOptions } from '../src/index.js';

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
    expect(() => new DataPlaneWorker({ ...base, ifindex: 0 })).toThrow(new RangeError('options.ifindex must be an integer in 1..2147483647, received 0'));
    expect(() => new DataPlaneWorker({ ...base, interface: 7 as unknown as string })).toThrow(TypeError);
    expect(() => new DataPlaneWorker({ ...base, interface: 'a-very-long-interface-name' })).toThrow(/options\.interface/);
    expect(() => new DataPlaneWorker({ ...base, fanout: { mode: 'rr' as 'hash' } })).toThrow(RangeError);
    expect(() => new DataPlaneWorker({ ...base, fanout: { mode: 'hash', id: 70000 } })).toThrow(/options\.fanout\.id/);
    expect(() => new DataPlaneWorker({ ...base, batchSize: 0 })).toThrow(/options\.batchSize/);
    expect(() => new DataPlaneWorker({ interface: 'eth0', ifindex: 1 } as WorkerOptions)).toThrow(/options\.fanout/);
  });

  it('names the rule field in rule errors', () => {
    const bench = (rules: unknown) => benchHotPath({ frames: [], rules: rules as RuleSpec[], iterations: 1 });
    expect(() => bench([{ ...rule, group: '10.0.0.1' }])).toThrow(/rules\[0\]\.group must be a multicast address/);
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
      expect(() => socket.join(1, '10.1.1.1')).toThrow(/group must be a multicast address/);
    } finally {
      socket.close();
    }
  });
});
