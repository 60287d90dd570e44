// The bench entry runs the hot path (parse, match, rewrite) without sockets.
import { describe, expect, it } from 'vitest';

import { benchHotPath, type RuleSpec } from '../src/index.js';
import { udpFrame } from '@mcr/netns-lab';
import { udp6Frame } from './helpers/frames6.js';

describe('benchHotPath', () => {
  it('matches what the rules say and reports a per-packet cost', () => {
    const rules: RuleSpec[] = [
      {
        id: 'r',
        group: '239.1.1.1',
        port: 5001,
        outputs: [
          { interface: 'x', ifindex: 0, group: '239.9.9.1', port: 6001, ttl: 8, sourceAddress: '10.0.0.1', sourceMac: '02:00:00:00:00:01' },
        ],
      },
      { id: 's', group: '239.1.1.2', port: 5001, source: '10.0.0.9', outputs: [] },
    ];
    const frames = [
      udpFrame({ group: '239.1.1.1', port: 5001, payload: Buffer.alloc(1000) }),
      udpFrame({ group: '239.1.1.2', port: 5001, source: '10.0.0.8' }), // source mismatch
      udpFrame({ group: '239.1.1.2', port: 5001, source: '10.0.0.9' }),
      udpFrame({ group: '239.1.1.1', port: 5002 }),
    ];
    const result = benchHotPath({ frames, rules, iterations: 1000 });
    expect(result.matched).toBe(2000);
    expect(result.nsPerPacket).toBeGreaterThan(0);
    // As from veth: each copy's UDP checksum is summed over the payload (1000 bytes here).
    const partial = benchHotPath({ frames, rules, iterations: 1000, partialChecksum: true });
    expect(partial.matched).toBe(2000);
    console.log(`benchHotPath: ${result.nsPerPacket.toFixed(1)} ns per packet, ${partial.nsPerPacket.toFixed(1)} with partial checksums`);
    // IPv6 exact and range rules through the same path.
    const rules6: RuleSpec[] = [
      { id: 'v6', group: 'ff3e::1:2', port: 5001, outputs: [{ ...rules[0]!.outputs[0]!, group: 'ff3e::9:2', sourceAddress: 'fd00::1' }] },
      {
        id: 'v6-range',
        group: 'ff3e::2:0',
        groupPrefixLength: 112,
        port: 5001,
        outputs: [{ ...rules[0]!.outputs[0]!, group: 'ff3e::9:0', groupPrefixLength: 112, sourceAddress: 'fd00::1' }],
      },
    ];
    const frames6 = [udp6Frame({ group: 'ff3e::1:2', payload: Buffer.alloc(1000) }), udp6Frame({ group: 'ff3e::2:9' }), udp6Frame({ group: 'ff3e::3:9' })];
    const v6 = benchHotPath({ frames: frames6, rules: rules6, iterations: 1000 });
    expect(v6.matched).toBe(2000);
    console.log(`benchHotPath IPv6 (exact and /112 range): ${v6.nsPerPacket.toFixed(1)} ns per packet`);
    expect(() => benchHotPath({ frames, rules, iterations: 1, partialChecksum: 1 as unknown as boolean })).toThrow(
      new TypeError('options.partialChecksum: must be true or false, got 1'),
    );
  });
});
