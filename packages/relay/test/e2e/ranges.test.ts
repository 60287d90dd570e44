import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { pushTraffic, RelayProcess, streamPlan, useChainLab, type Stream } from './harness.js';
import { kernelGroups } from './kernel-memberships.js';

// A range rule matches every group of its prefix; with an output range of the same size each group
// goes to its own output group (offset mapping: base + (input - input base)). A joined range holds one
// membership per group, up to RELAY_LIMITS.maxJoinedGroupsPerRange (256); join:false joins nothing.

const FAMILIES = [
  { family: 'ipv4', range: '239.1.0.0', outRange: '239.9.0.0', prefix: 24, tooBig: 23, first: '239.1.0.0', last: '239.1.0.255', other: '239.2.0.0' },
  { family: 'ipv6', range: 'ff3e::1:0', outRange: 'ff3e::9:0', prefix: 120, tooBig: 119, first: 'ff3e::1:0', last: 'ff3e::1:ff', other: 'ff3e::2:0' },
] as const;

describe.each(FAMILIES)('group ranges ($family)', ({ family, range, outRange, prefix, tooBig, first, last, other }) => {
  let lab: Lab;
  useChainLab((l) => (lab = l));
  const input = () => lab.topo.relay.inputs[0]!.ifname;
  const output = () => lab.topo.relay.outputs[0]!.ifname;
  const rangeRule = (id: string, base: string, len: number, extra: Record<string, unknown> = {}) => ({
    id,
    input: { interface: input(), group: `${base}/${len}`, port: 5001 },
    outputs: [{ interface: output(), group: `${outRange}/${len}`, port: 6001, ttl: 8 }],
    ...extra,
  });

  it('a joined range holds one membership per group; join:false joins nothing; a larger joined range is refused', async () => {
    const ns = lab.topo.relay.ns;
    const relay = await RelayProcess.start(ns, { rules: [rangeRule('range', range, prefix)] });
    try {
      const groups = await kernelGroups(ns, input(), family);
      expect(groups).toHaveLength(256);
      expect(groups).toContain(first);
      expect(groups).toContain(last);
      expect((await relay.result('stats')).igmp.memberships).toHaveLength(256);

      await relay.result('add', { rule: { ...rangeRule('passive', other, prefix, { join: false }), outputs: [{ interface: output(), group: outRange, port: 6002, ttl: 8 }] } });
      expect(await kernelGroups(ns, input(), family)).toEqual(groups);

      const refused = await relay.call('add', { rule: { ...rangeRule('big', other, tooBig), id: 'big' } });
      expect(refused.ok).toBe(false);
      expect(JSON.stringify(refused)).toMatch(/join/);
      expect(await kernelGroups(ns, input(), family)).toEqual(groups);

      await relay.result('remove', { id: 'range' });
      expect(await kernelGroups(ns, input(), family)).toEqual([]);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it.each([true, false])('relays 10 groups of a range, each to its own mapped output group (join %s)', async (join) => {
    const ns = lab.topo.relay.ns;
    // Streams 0..9 of the lab's plan, all on the range rule's one port.
    const streams: Stream[] = streamPlan(10, 0, family).map((s) => ({ ...s, port: 5001, outPort: 6001 }));
    const relay = await RelayProcess.start(ns, { workers: 2, rules: [rangeRule('range', range, prefix, join ? {} : { join: false })] });
    try {
      expect(await kernelGroups(ns, input(), family)).toHaveLength(join ? 256 : 0);
      const { sent, received } = await pushTraffic(lab, streams, { rate: 5000, count: 500 });
      expect(sent.sent).toBe(5000);
      for (const s of received.streams) {
        expect({ stream: s.stream, unique: s.unique, duplicates: s.duplicates, foreign: s.foreign }).toEqual({ stream: s.stream, unique: 500, duplicates: 0, foreign: 0 });
      }
      const stats = await relay.result('stats');
      expect(stats.rules[0].matched).toBe(5000);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await kernelGroups(ns, input(), family)).toEqual([]);
  });
});
