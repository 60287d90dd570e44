import { igmpMemberships, inNetns } from '@mcr/netns-lab';

// The kernel's own view of a namespace's memberships, whatever socket holds them: /proc/net/igmp
// (the lab reads it), /proc/net/igmp6 (MLD), and the source filters /proc/net/mcfilter and
// /proc/net/mcfilter6. Tests compare the relay's rules against these, never against its own report.

/** Groups every IPv6 interface holds by itself: all-nodes, all-routers, and solicited-node ff02::1:ffXX:XXXX. */
function automaticIpv6(group: string): boolean {
  return ['ff01::1', 'ff02::1', 'ff01::2', 'ff02::2', 'ff05::2'].includes(group) || group.startsWith('ff02::1:ff');
}

/** 32 hex digits (as the kernel's %pi6 prints them) to canonical IPv6 text. */
function hexToIpv6(hex: string): string {
  const groups = hex.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** 8 hex digits in host order (as mcfilter prints ntohl(addr)) to dotted quad. */
function hexToIpv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** The groups the interface holds in `family`, sorted, without those the kernel joins by itself. */
export async function kernelGroups(ns: string, iface: string, family: 'ipv4' | 'ipv6'): Promise<string[]> {
  if (family === 'ipv4') return ((await igmpMemberships(ns)).get(iface) ?? []).slice().sort();
  const { stdout } = await inNetns(ns, 'cat', ['/proc/net/igmp6']);
  const groups: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-f]{32})\s/.exec(line);
    if (m && m[1] === iface) groups.push(hexToIpv6(m[2]!));
  }
  return groups.filter((g) => !automaticIpv6(g)).sort();
}

export interface SourceFilter {
  group: string;
  source: string;
  /** Sockets that include the source (source-specific joins). */
  include: number;
  /** Sockets that exclude it. */
  exclude: number;
}

/**
 * The source filters of an interface (by ifindex: the files cut names to 6 characters). Mind the
 * kernel's quirk: an interface's filters are listed only while its most recently joined group has a
 * source list, so a test joins its source-specific group last.
 */
export async function sourceFilters(ns: string, iface: string, family: 'ipv4' | 'ipv6'): Promise<SourceFilter[]> {
  const ifindex = Number((await inNetns(ns, 'cat', [`/sys/class/net/${iface}/ifindex`])).stdout.trim());
  const { stdout } = await inNetns(ns, 'cat', [family === 'ipv4' ? '/proc/net/mcfilter' : '/proc/net/mcfilter6']);
  const out: SourceFilter[] = [];
  for (const line of stdout.split('\n')) {
    const m = family === 'ipv4' ? /^\s*(\d+)\s+\S+\s+0x([0-9a-f]{8})\s+0x([0-9a-f]{8})\s+(\d+)\s+(\d+)/i.exec(line) : /^\s*(\d+)\s+\S+\s+([0-9a-f]{32})\s+([0-9a-f]{32})\s+(\d+)\s+(\d+)/.exec(line);
    if (!m || Number(m[1]) !== ifindex) continue;
    const address = family === 'ipv4' ? hexToIpv4 : hexToIpv6;
    out.push({ group: address(m[2]!), source: address(m[3]!), include: Number(m[4]), exclude: Number(m[5]) });
  }
  return out;
}
