// The sources of a namespace's source-specific memberships, for both families: /proc/net/mcfilter
// and /proc/net/mcfilter6 (the groups themselves: the lab's igmpMemberships / mldMemberships).
// Addresses come back in canonical text.
import { inNetns } from '@mcr/netns-lab';

import { formatAddress } from '../../src/ip-address.js';

async function read(ns: string, file: string): Promise<string[]> {
  const { stdout } = await inNetns(ns, 'cat', [file]);
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

export interface SourceFilter {
  device: string; // cut to 6 characters by the kernel in mcfilter6
  group: string;
  source: string;
  include: number;
  exclude: number;
}

/**
 * Source filters of both families. mcfilter: "Idx Device MCA SRC INC EXC" with 0x-prefixed IPv4 in
 * network order as hex; mcfilter6: "Idx Device Multicast-Address Source-Address INC EXC" (32 hex).
 * The kernel lists an interface's sources only while its most recently joined group has sources.
 */
export async function sourceFilters(ns: string): Promise<SourceFilter[]> {
  const rows: SourceFilter[] = [];
  for (const file of ['/proc/net/mcfilter', '/proc/net/mcfilter6']) {
    for (const line of (await read(ns, file)).slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6) continue;
      const address = (hex: string) => formatAddress(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
      rows.push({ device: f[1]!, group: address(f[2]!), source: address(f[3]!), include: Number(f[4]), exclude: Number(f[5]) });
    }
  }
  return rows;
}
