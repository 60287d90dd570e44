// MembershipSocket in the relay namespace of a lab chain, on its input in0: the kernel's view of the
// memberships comes from /proc/net/igmp (the lab's igmpMemberships).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, igmpMemberships, uniquePrefix, up, type Lab } from '@mcr/netns-lab';

import { AgentCallError, NamespaceAgent } from './helpers/agent.js';
import { linkInfo } from './helpers/lab.js';

/** Groups joined on one device (224.0.0.1, which every interface joins, left out). */
async function igmpGroups(ns: string, device: string): Promise<string[]> {
  return (await igmpMemberships(ns)).get(device) ?? [];
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
});
