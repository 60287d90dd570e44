import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { pushTraffic, RelayProcess, ruleFor, streamPlan, useChainLab, workerProcesses } from './harness.js';
import { kernelGroups } from './kernel-memberships.js';

// IPv6 through mcr: source ns -> relay ns -> sink ns over real veth, MLD memberships checked in the
// kernel's own table (/proc/net/igmp6). A modest aggregate rate: loss and duplicates are correctness.

describe('IPv6 forwarding through mcr', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('10 IPv6 streams, 2 workers, 20 kpps aggregate: nothing lost, nothing twice; MLD memberships are exactly the rules', async () => {
    const ns = lab.topo.relay.ns;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const streams = streamPlan(10, 0, 'ipv6');
    const groups = () => kernelGroups(ns, input, 'ipv6');
    const relay = await RelayProcess.start(ns, { workers: 2, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      expect(await groups()).toEqual(streams.map((s) => s.group).sort());
      const { sent, received } = await pushTraffic(lab, streams, { rate: 20_000, count: 2000 });
      expect(sent.sent).toBe(20_000);
      for (const s of received.streams) {
        expect({ stream: s.stream, unique: s.unique, duplicates: s.duplicates, corrupt: s.corrupt, foreign: s.foreign }).toEqual({
          stream: s.stream,
          unique: 2000,
          duplicates: 0,
          corrupt: 0,
          foreign: 0,
        });
      }
      const stats = await relay.result('stats');
      expect(stats.rules.map((r: { matched: number }) => r.matched)).toEqual(Array(10).fill(2000));
      expect(stats.totals.forwarded).toBe(20_000);
      expect(workerProcesses(stats).map((w: { alive: boolean }) => w.alive)).toEqual([true, true]);
      // The relay knows the output interface's global address, the source of its IPv6 copies.
      expect(stats.interfaces.find((i: { name: string }) => i.name === lab.topo.relay.outputs[0]!.ifname).ipv6).toBe(lab.topo.relay.outputs[0]!.ip6);

      await relay.result('remove', { id: streams[3]!.id });
      expect(await groups()).toEqual(streams.filter((s) => s !== streams[3]).map((s) => s.group).sort());
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await groups()).toEqual([]);
  });
});
