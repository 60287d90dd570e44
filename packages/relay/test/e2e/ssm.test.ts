import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { RelayProcess, useChainLab } from './harness.js';
import { kernelGroups, sourceFilters } from './kernel-memberships.js';

// A rule with `source` joins source-specifically (IGMPv3/MLDv2 include mode): the kernel's source
// filter lists the source. An any-source rule and a source-specific rule on the same group are two
// memberships (two sockets): both are joined, and removing either leaves the other's as it was.

const FAMILIES = [
  { family: 'ipv4', group: '239.1.7.7', other: '239.1.7.8', source: (lab: Lab) => lab.topo.source.ip },
  { family: 'ipv6', group: 'ff3e::7:7', other: 'ff3e::7:8', source: (lab: Lab) => lab.topo.source.ip6 },
] as const;

describe.each(FAMILIES)('source-specific memberships ($family)', ({ family, group, other, source }) => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('shows the source in the kernel source filter; any-source and source-specific rules on one group coexist', async () => {
    const ns = lab.topo.relay.ns;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const out = lab.topo.relay.outputs[0]!.ifname;
    const src = source(lab);
    const outGroup = family === 'ipv4' ? '239.9.7.7' : 'ff3e::9:7';
    const rule = (id: string, g: string, port: number, withSource: boolean) => ({
      id,
      input: { interface: input, group: g, port, ...(withSource ? { source: src } : {}) },
      outputs: [{ interface: out, group: outGroup, port: 7000 + port - 5000, ttl: 8 }],
    });
    const groups = () => kernelGroups(ns, input, family);
    const filters = async () => (await sourceFilters(ns, input, family)).map((f) => `${f.group} ${f.source} inc=${f.include} exc=${f.exclude}`);

    // The source-specific rule is joined last: the kernel lists an interface's filters only while its
    // most recent group has sources.
    const relay = await RelayProcess.start(ns, { rules: [rule('asm', group, 5001, false), rule('ssm', group, 5002, true)] });
    try {
      expect(await groups()).toEqual([group]);
      expect(await filters()).toEqual([`${group} ${src} inc=1 exc=0`]);
      const listed = (await relay.result('stats')).igmp.memberships;
      expect(listed).toEqual([
        { interface: input, family, group, rules: ['asm'], joined: true },
        { interface: input, family, group, source: src, rules: ['ssm'], joined: true },
      ]);

      // Without the source-specific rule: the any-source membership stays, the source is gone.
      await relay.result('remove', { id: 'ssm' });
      expect(await groups()).toEqual([group]);
      expect(await filters()).toEqual([]);

      // Back, then without the any-source rule: the group stays joined for that source only.
      await relay.result('add', { rule: rule('ssm', group, 5002, true) });
      expect(await filters()).toEqual([`${group} ${src} inc=1 exc=0`]);
      await relay.result('remove', { id: 'asm' });
      expect(await groups()).toEqual([group]);
      expect(await filters()).toEqual([`${group} ${src} inc=1 exc=0`]);
      expect((await relay.result('stats')).igmp.memberships).toEqual([{ interface: input, family, group, source: src, rules: ['ssm'], joined: true }]);

      // A second source-specific group of its own.
      await relay.result('add', { rule: rule('ssm2', other, 5003, true) });
      expect(await groups()).toEqual([group, other].sort());
      expect((await filters()).sort()).toEqual([`${group} ${src} inc=1 exc=0`, `${other} ${src} inc=1 exc=0`].sort());
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await groups()).toEqual([]);
    expect(await filters()).toEqual([]);
  });

  it('a reload that changes a rule in place moves only what differs: any-source to source-specific, a range shrunk', async () => {
    const ns = lab.topo.relay.ns;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const out = lab.topo.relay.outputs[0]!.ifname;
    const src = source(lab);
    const range = family === 'ipv4' ? { base: '239.3.0.0', wide: 30, narrow: 31 } : { base: 'ff3e::3:0', wide: 126, narrow: 127 };
    const config = (withSource: boolean, len: number) => ({
      rules: [
        { id: 'one', input: { interface: input, group, port: 5001, ...(withSource ? { source: src } : {}) }, outputs: [{ interface: out, group: other, port: 6001, ttl: 8 }] },
        { id: 'range', input: { interface: input, group: `${range.base}/${len}`, port: 5002 }, outputs: [{ interface: out, group: other, port: 6002, ttl: 8 }] },
      ],
    });
    const relay = await RelayProcess.start(ns, config(false, range.wide));
    try {
      const before = await kernelGroups(ns, input, family);
      expect(before).toHaveLength(1 + 4);
      relay.writeConfig(config(true, range.narrow));
      expect(await relay.result('reload')).toMatchObject({ changed: ['one', 'range'] });
      const after = await kernelGroups(ns, input, family);
      expect(after).toHaveLength(1 + 2);
      expect(after).toContain(group);
      // (Not checked in mcfilter here: the range's groups were joined after this group, and the kernel
      // lists an interface's filters only while its most recent group has sources.)
      const listed = (await relay.result('stats')).igmp.memberships as Array<{ group: string; source?: string; rules: string[] }>;
      expect(listed.filter((m) => m.rules.includes('one'))).toEqual([{ interface: input, family, group, source: src, rules: ['one'], joined: true }]);
      expect(listed.filter((m) => m.rules.includes('range'))).toHaveLength(2);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await kernelGroups(ns, input, family)).toEqual([]);
  });
});
