// Readers for the relay namespace's kernel state: the groups joined on an interface
// (/proc/net/igmp and /proc/net/igmp6, parsed by netns/igmp.ts) and an interface's receive counter.
import { type AddressFamily, igmpMemberships, mldMemberships, run } from '@mcr/netns-lab';

/**
 * Groups joined on `ifname` in namespace `ns`: IPv4 without the link-local 224.0.0.x ones, IPv6
 * without the link- and interface-local scopes (canonical text).
 */
export async function joinedGroups(ns: string, ifname: string, family: AddressFamily = 'ipv4'): Promise<string[]> {
  if (family === 'ipv6') return (await mldMemberships(ns)).get(ifname) ?? [];
  return ((await igmpMemberships(ns)).get(ifname) ?? []).filter((g) => !g.startsWith('224.0.0.'));
}

/** rx_packets of `ifname` in `ns` (`ip -s -j link`). */
export function rxPackets(ns: string, ifname: string): Promise<number> {
  return linkPackets(ns, ifname, 'rx');
}

/** rx_packets or tx_packets of `ifname` in `ns` (`ip -s -j link`). */
export async function linkPackets(ns: string, ifname: string, direction: 'rx' | 'tx'): Promise<number> {
  const { stdout } = await run('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', ifname]);
  const [link] = JSON.parse(stdout) as { stats64?: Record<'rx' | 'tx', { packets?: number } | undefined> }[];
  const n = link?.stats64?.[direction]?.packets;
  if (typeof n !== 'number') throw new Error(`no ${direction} packet counter for ${ns}/${ifname} in: ${stdout.slice(0, 200)}`);
  return n;
}
