import { isIPv6 } from 'node:net';

// IPv6 address helpers. Addresses stay strings in our interfaces, always in the canonical text
// (RFC 5952: lower case, the longest run of zero groups compressed), and become 128-bit bigints only
// where arithmetic (ranges, scopes) is needed.

/**
 * The canonical text of an IPv6 address, or null when `text` is not one. A zone ("fe80::1%eth0")
 * is refused: the interface is named by the rule's own field.
 */
export function canonicalIpv6(text: string): string | null {
  if (text.includes('%') || !isIPv6(text)) return null;
  try {
    // The WHATWG URL serialiser writes exactly the RFC 5952 form (and hex for an embedded IPv4 part).
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

export function parseIpv6(text: string): bigint | null {
  const canonical = canonicalIpv6(text);
  if (canonical === null) return null;
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export function formatIpv6(value: bigint): string {
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return canonicalIpv6(groups.join(':'))!;
}

/** ff00::/8 */
export function isMulticast6(value: bigint): boolean {
  return value >> 120n === 0xffn;
}

/** fe80::/10: the link-local unicast addresses (RFC 4291 2.5.6). */
export function isLinkLocalUnicast6(value: bigint): boolean {
  return value >> 118n === 0x3fan;
}

/** The scope nibble of a multicast address (ff<flags><scope>::): 1 interface-local, 2 link-local, 5 site, e global... */
export function multicastScope6(value: bigint): number {
  return Number((value >> 112n) & 0xfn);
}

/** Scopes that never leave the link (RFC 4291): relaying them is refused unless the rule says linkLocal. */
export function isLinkScope6(value: bigint): boolean {
  const scope = multicastScope6(value);
  return scope === 1 || scope === 2;
}

/** Scopes 0 and f are reserved (RFC 4291 2.7): no valid group has them. */
export function isReservedScope6(value: bigint): boolean {
  const scope = multicastScope6(value);
  return scope === 0 || scope === 0xf;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Why a unicast IPv6 address can never be a destination (a reason to print), or null when it can:
 * :: (unspecified), ::1 (loopback: never leaves the host), ::ffff:0:0/96 (an IPv4 address in IPv6
 * clothing: a dual-stack socket would send it as IPv4, not what an IPv6 rule says).
 */
export function unsendableUnicast6(value: bigint): string | null {
  if (value === 0n) return 'the unspecified address ::';
  if (value === 1n) return 'the loopback address ::1';
  if (value >> 32n === V4_MAPPED_PREFIX >> 32n) return 'an IPv4-mapped address (::ffff:0:0/96; write the IPv4 address in an IPv4 rule)';
  return null;
}
