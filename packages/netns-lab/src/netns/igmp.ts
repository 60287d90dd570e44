import { inNetns } from './exec.js';

/**
 * The multicast groups joined per interface in a namespace, read from /proc/net/igmp: the kernel's own
 * view, whatever socket or process holds the membership. Groups there are printed as hex in host (little
 * endian) byte order, so 239.1.1.1 reads 010101EF. 224.0.0.1 (all hosts) is left out: every interface
 * joins it.
 */
export async function igmpMemberships(ns: string): Promise<Map<string, string[]>> {
  const { stdout } = await inNetns(ns, 'cat', ['/proc/net/igmp']);
  return parseProcNetIgmp(stdout);
}

export function parseProcNetIgmp(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n').slice(1)) {
    const device = /^\d+\s+(\S+)\s*:/.exec(line);
    if (device) {
      current = [];
      out.set(device[1]!, current);
      continue;
    }
    const group = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (!group || !current) continue;
    const n = parseInt(group[1]!, 16);
    const address = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
    if (address !== '224.0.0.1') current.push(address);
  }
  return out;
}

/**
 * The IPv6 multicast groups joined per interface in a namespace, read from /proc/net/igmp6 (MLD's
 * view): "IFINDEX IFNAME GROUP(32 hex digits) USERS FLAGS TIMER" per line, groups in network byte
 * order, returned as canonical text (RFC 5952). Link-local and interface-local scopes (ff02::/16,
 * ff01::/16: all-nodes, solicited-node, all-routers), which every interface joins, are left out.
 */
export async function mldMemberships(ns: string): Promise<Map<string, string[]>> {
  const { stdout } = await inNetns(ns, 'cat', ['/proc/net/igmp6']);
  return parseProcNetIgmp6(stdout);
}

export function parseProcNetIgmp6(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-fA-F]{32})\s/.exec(line);
    if (!m) continue;
    const hex = m[2]!.toLowerCase();
    if (hex.startsWith('ff02') || hex.startsWith('ff01')) continue;
    const address = canonicalIpv6(hex.match(/.{4}/g)!.join(':'));
    const list = out.get(m[1]!) ?? [];
    list.push(address);
    out.set(m[1]!, list);
  }
  return out;
}

/** RFC 5952 text of an IPv6 address (lower case, longest zero run compressed), as the relay prints it. */
export const canonicalIpv6 = (address: string): string => new URL(`http://[${address}]`).hostname.slice(1, -1);
