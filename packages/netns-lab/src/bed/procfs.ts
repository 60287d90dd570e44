// Readers for the relay namespace's kernel state: the groups joined on an interface
// (/proc/net/igmp, parsed by netns/igmp.ts) and an interface's receive counter.
import { igmpMemberships, run } from '../netns/index.js';

/** Groups joined on `ifname` in namespace `ns`, without the link-local 224.0.0.x ones. */
export async function joinedGroups(ns: string, ifname: string): Promise<string[]> {
  return ((await igmpMemberships(ns)).get(ifname) ?? []).filter((g) => !g.startsWith('224.0.0.'));
}

/** rx_packets of `ifname` in `ns` (`ip -s -j link`). */
export async function rxPackets(ns: string, ifname: string): Promise<number> {
  const { stdout } = await run('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', ifname]);
  const [link] = JSON.parse(stdout) as { stats64?: { rx?: { packets?: number } } }[];
  const n = link?.stats64?.rx?.packets;
  if (typeof n !== 'number') throw new Error(`no rx packet counter for ${ns}/${ifname} in: ${stdout.slice(0, 200)}`);
  return n;
}
