// What the namespace tests need on top of the lab (@mcr/netns-lab): the lab builds the namespaces,
// links and addresses (`up(chain({ prefix: uniquePrefix() }))`) and provides the traffic tools
// (native mcr-send / mcr-recv); these helpers only read link facts and poll.
import { inNetns } from '@mcr/netns-lab';

export interface LinkInfo {
  ifindex: number;
  mac: string;
}

/** ifindex and MAC of `ifname` inside namespace `ns` (`ip -j link show`). */
export async function linkInfo(ns: string, ifname: string): Promise<LinkInfo> {
  const { stdout } = await inNetns(ns, 'ip', ['-j', 'link', 'show', 'dev', ifname]);
  const link = (JSON.parse(stdout) as Array<{ ifindex: number; address: string }>)[0];
  if (link === undefined) throw new Error(`no link ${ifname} in ${ns}`);
  return { ifindex: link.ifindex, mac: link.address };
}

/** Waits until `probe` returns a value accepted by `done`, or the deadline passes (returns the last value). */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The link-local IPv6 address (fe80::/64) of `ifname` inside `ns`, the source of its MLD messages,
 * once the kernel has given it one (a link gets it a moment after it comes up).
 */
export async function linkLocal6(ns: string, ifname: string): Promise<string> {
  const read = async () => {
    const { stdout } = await inNetns(ns, 'ip', ['-j', '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
    // Addresses the filter left out show as empty objects in addr_info.
    const link = (JSON.parse(stdout) as Array<{ addr_info?: Array<{ local?: string; scope?: string }> }>)[0];
    return link?.addr_info?.find((a) => a.scope === 'link')?.local;
  };
  const address = await waitFor(read, (a) => a !== undefined);
  if (address === undefined) throw new Error(`no link-local address on ${ifname} in ${ns}`);
  return address;
}
