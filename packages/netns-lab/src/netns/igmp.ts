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
