import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AgentCallError, NamespaceAgent } from './helpers/agent.js';
import { linkInfo, NamespaceSet, nsRun, uniquePrefix } from './helpers/netns.js';

/** Groups in /proc/net/igmp for one device; the kernel prints them as little-endian hex. */
async function igmpGroups(ns: string, device: string): Promise<string[]> {
  const text = await nsRun(ns, 'cat', ['/proc/net/igmp']);
  const groups: string[] = [];
  let current = '';
  for (const line of text.split('\n').slice(1)) {
    const header = /^\d+\s+(\S+)\s*:/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const entry = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (entry && current === device) {
      const le = Buffer.from(entry[1]!, 'hex');
      groups.push([le[3], le[2], le[1], le[0]].join('.'));
    }
  }
  return groups;
}

describe('MembershipSocket (in a fresh namespace)', () => {
  const namespaces = new NamespaceSet();
  const prefix = uniquePrefix();
  const ns = `${prefix}-m`;
  const device = `${prefix}-d0`;
  let ifindex = 0;
  let agent: NamespaceAgent | undefined;

  beforeAll(async () => {
    await namespaces.add(ns);
    await nsRun(ns, 'ip', ['link', 'add', device, 'type', 'veth', 'peer', 'name', `${prefix}-d1`]);
    await nsRun(ns, 'ip', ['link', 'set', device, 'up']);
    await nsRun(ns, 'ip', ['link', 'set', `${prefix}-d1`, 'up']);
    await nsRun(ns, 'ip', ['addr', 'add', '10.77.0.1/24', 'dev', device]);
    ifindex = (await linkInfo(ns, device)).ifindex;
    agent = new NamespaceAgent(ns);
  });

  afterAll(async () => {
    await agent?.close();
    await namespaces.cleanup();
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
