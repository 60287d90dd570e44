// IPv6 on top of the lab's (IPv4) chain, until the lab states its dual-stack plan itself: every
// link end with 10.s.0.N/24 also gets fd00:0:0:s::N/64 (the contract's plan), IPv6 enabled, no
// duplicate address detection (addresses usable at once), and the helper waits until no address
// is tentative and each link has its fe80:: address. The namespaces stay the lab's: lab.down()
// removes everything.
import { inNetns, type Lab } from '@mcr/netns-lab';

import { waitFor } from './lab.js';

/** fd00:0:0:s::N for 10.s.0.N. */
export function ipv6For(ipv4: string): string {
  const [, segment, , host] = ipv4.split('.');
  return `fd00:0:0:${Number(segment).toString(16)}::${Number(host).toString(16)}`;
}

interface AddressInfo {
  addr_info?: Array<{ family: string; local: string; scope: string; tentative?: boolean; dadfailed?: boolean }>;
}

async function ready(ns: string, ifname: string, global: string): Promise<boolean> {
  const { stdout } = await inNetns(ns, 'ip', ['-j', '-6', 'addr', 'show', 'dev', ifname]);
  const info = (JSON.parse(stdout) as AddressInfo[])[0]?.addr_info ?? [];
  return (
    info.some((a) => a.local === global && !a.tentative) &&
    info.some((a) => a.scope === 'link' && a.local.startsWith('fe80') && !a.tentative)
  );
}

/** Adds the IPv6 plan to every link end of the lab that has an IPv4 address; returns ns/ifname -> address. */
export async function addIpv6(lab: Lab): Promise<Map<string, string>> {
  const added = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const link of lab.topo.links) {
    for (const end of [link.a, link.b]) {
      if (end.address === undefined) continue;
      const ns = end.ns;
      if (!namespaces.has(ns)) {
        namespaces.add(ns);
        for (const key of ['all', 'default']) {
          await inNetns(ns, 'sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=0`, `net.ipv6.conf.${key}.accept_dad=0`]);
        }
      }
      await inNetns(ns, 'sysctl', ['-qw', `net.ipv6.conf.${end.ifname}.disable_ipv6=0`, `net.ipv6.conf.${end.ifname}.accept_dad=0`]);
      const address = ipv6For(end.address.split('/')[0]!);
      await inNetns(ns, 'ip', ['-6', 'addr', 'add', `${address}/64`, 'dev', end.ifname, 'nodad']);
      added.set(`${ns}/${end.ifname}`, address);
    }
  }
  for (const [key, address] of added) {
    const [ns, ifname] = key.split('/') as [string, string];
    const ok = await waitFor(() => ready(ns, ifname, address), (v) => v, 10_000);
    if (!ok) throw new Error(`${ns} ${ifname}: ${address} or its link-local address is still tentative`);
  }
  return added;
}
