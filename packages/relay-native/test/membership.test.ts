// MembershipSocket in the relay namespace of a lab chain, on its input in0: the kernel's view of the
// memberships comes from /proc/net/igmp (the lab's igmpMemberships).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, igmpMemberships, mldMemberships, uniquePrefix, up, type Lab } from '@mcr/netns-lab';

import { AgentCallError, NamespaceAgent } from './helpers/agent.js';
import { linkInfo } from './helpers/lab.js';
import { sourceFilters } from './helpers/mcast-procfs.js';

/** Groups joined on one device (224.0.0.1, which every interface joins, left out). */
async function igmpGroups(ns: string, device: string): Promise<string[]> {
  return (await igmpMemberships(ns)).get(device) ?? [];
}

/** IPv6 groups joined on one device (/proc/net/igmp6; ff01::/16 and ff02::/16 left out). */
async function igmp6Groups(ns: string, device: string): Promise<string[]> {
  return (await mldMemberships(ns)).get(device) ?? [];
}

describe('MembershipSocket (in a fresh namespace)', () => {
  let lab: Lab;
  let ns = '';
  let device = '';
  let ifindex = 0;
  let agent: NamespaceAgent | undefined;

  beforeAll(async () => {
    lab = await up(chain({ prefix: uniquePrefix() }));
    ns = lab.topo.relay.ns;
    device = lab.topo.relay.inputs[0]!.ifname;
    ifindex = (await linkInfo(ns, device)).ifindex;
    agent = new NamespaceAgent(ns);
  });

  afterAll(async () => {
    await agent?.close();
    await lab?.down();
  });

  it('joins, lists in /proc/net/igmp, leaves, and reports EADDRINUSE and ENOBUFS', async () => {
    const a = agent!;
    await a.call('membership.new', { id: 'm' });
    const groups = ['239.1.1.1', '239.1.1.2', '239.1.1.3'];
    for (const group of groups) await a.call('membership.join', { id: 'm', ifindex, group, iface: device });
    expect(await igmpGroups(ns, device)).toEqual(expect.arrayContaining(groups));

    await a.call('membership.leave', { id: 'm', ifindex, group: '239.1.1.2', iface: device });
    const afterLeave = await igmpGroups(ns, device);
    expect(afterLeave).toEqual(expect.arrayContaining(['239.1.1.1', '239.1.1.3']));
    expect(afterLeave).not.toContain('239.1.1.2');

    const twice = await a.call('membership.join', { id: 'm', ifindex, group: '239.1.1.1', iface: device }).catch((e) => e);
    expect(twice).toBeInstanceOf(AgentCallError);
    expect((twice as AgentCallError).detail).toMatchObject({
      isNativeError: true,
      name: 'NativeError',
      code: 'EADDRINUSE',
      syscall: 'setsockopt',
      interface: device,
      group: '239.1.1.1',
    });

    // 2 held now; igmp_max_memberships (default 20) allows 18 more, the 21st fails.
    for (let i = 0; i < 18; i++) {
      await a.call('membership.join', { id: 'm', ifindex, group: `239.2.0.${i + 1}`, iface: device });
    }
    const overflow = await a.call('membership.join', { id: 'm', ifindex, group: '239.3.0.1', iface: device }).catch((e) => e);
    expect((overflow as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'ENOBUFS', errno: 105 });

    await a.call('membership.close', { id: 'm' });
    await a.call('membership.close', { id: 'm' }); // idempotent
    const afterClose = await igmpGroups(ns, device);
    expect(afterClose.filter((g) => g.startsWith('239.'))).toEqual([]);
  });

  it('joins IPv6 groups (MLD, /proc/net/igmp6) on the same socket as IPv4 ones, and leaves them', async () => {
    const a = agent!;
    await a.call('membership.new', { id: 'm6' });
    await a.call('membership.join', { id: 'm6', ifindex, group: '239.4.0.1', iface: device });
    for (const group of ['ff3e::1:2', 'ff15::abcd']) await a.call('membership.join', { id: 'm6', ifindex, group, iface: device });
    expect(await igmp6Groups(ns, device)).toEqual(expect.arrayContaining(['ff3e::1:2', 'ff15::abcd']));
    expect(await igmpGroups(ns, device)).toContain('239.4.0.1');

    const twice = await a.call('membership.join', { id: 'm6', ifindex, group: 'ff3e::1:2', iface: device }).catch((e) => e);
    expect((twice as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'EADDRINUSE', syscall: 'setsockopt', group: 'ff3e::1:2' });

    await a.call('membership.leave', { id: 'm6', ifindex, group: 'ff3e::1:2', iface: device });
    const after = await igmp6Groups(ns, device);
    expect(after).toContain('ff15::abcd');
    expect(after).not.toContain('ff3e::1:2');
    await a.call('membership.close', { id: 'm6' });
    expect(await igmp6Groups(ns, device)).not.toContain('ff15::abcd');
    expect(await igmpGroups(ns, device)).not.toContain('239.4.0.1');
  });

  it('joins source-specifically (include mode: /proc/net/mcfilter and mcfilter6 list the source), leave removes it', async () => {
    const a = agent!;
    await a.call('membership.new', { id: 'ssm' });
    const cases = [
      { group: '232.1.1.1', source: '10.1.0.1' },
      { group: 'ff3e::4:1', source: 'fd00:0:0:1::1' },
    ];
    for (const { group, source } of cases) {
      await a.call('membership.join', { id: 'ssm', ifindex, group, iface: device, source });
      // The kernel lists an interface's sources only while its latest group has sources: check each at once.
      expect(await sourceFilters(ns)).toContainEqual({ device: device.slice(0, 6), group, source, include: 1, exclude: 0 });
    }
    expect(await igmpGroups(ns, device)).toContain('232.1.1.1');
    expect(await igmp6Groups(ns, device)).toContain('ff3e::4:1');

    // A second source on the same group adds to its include list; the same source again is refused
    // by the kernel with EADDRNOTAVAIL (ip_mc_source/ip6_mc_source), not EADDRINUSE.
    await a.call('membership.join', { id: 'ssm', ifindex, group: 'ff3e::4:1', iface: device, source: 'fd00:0:0:1::9' });
    const filters = (await sourceFilters(ns)).filter((f) => f.group === 'ff3e::4:1');
    expect(filters.map((f) => f.source).sort()).toEqual(['fd00:0:0:1::1', 'fd00:0:0:1::9']);
    const twice = await a.call('membership.join', { id: 'ssm', ifindex, group: 'ff3e::4:1', iface: device, source: 'fd00:0:0:1::9' }).catch((e) => e);
    expect((twice as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'EADDRNOTAVAIL' });

    for (const { group, source } of cases) await a.call('membership.leave', { id: 'ssm', ifindex, group, iface: device, source });
    await a.call('membership.leave', { id: 'ssm', ifindex, group: 'ff3e::4:1', iface: device, source: 'fd00:0:0:1::9' });
    expect((await sourceFilters(ns)).filter((f) => f.group === '232.1.1.1' || f.group === 'ff3e::4:1')).toEqual([]);
    expect(await igmpGroups(ns, device)).not.toContain('232.1.1.1');
    expect(await igmp6Groups(ns, device)).not.toContain('ff3e::4:1');

    // Leaving what was never joined keeps the kernel's errno.
    const never = await a.call('membership.leave', { id: 'ssm', ifindex, group: 'ff3e::4:2', iface: device, source: 'fd00:0:0:1::1' }).catch((e) => e);
    expect((never as AgentCallError).detail).toMatchObject({ isNativeError: true, syscall: 'setsockopt', group: 'ff3e::4:2' });
    expect((never as AgentCallError).detail.code).toMatch(/^E[A-Z]+$/);
    await a.call('membership.close', { id: 'ssm' });
  });
});
