// One address of either family, as rules, the control protocol and the data plane use them:
// canonical text plus a number for arithmetic, address ranges written "BASE/LEN" (a CIDR prefix over
// the group space), and the bytes in network order the native side takes (4 for IPv4, 16 for IPv6:
// the length is the family). The one address module of the relay and its data plane.
import { formatIpv4, parseIpv4 } from './ipv4.js';
import { canonicalIpv6, formatIpv6, isLinkScope6, isMulticast6, parseIpv6 } from './ipv6.js';

export const ADDRESS_FAMILIES = ['ipv4', 'ipv6'] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];

export interface IpAddress {
  family: AddressFamily;
  /** Canonical text: dotted quad, or RFC 5952 IPv6. */
  text: string;
  value: bigint;
}

/** Bits of an address of each family (the longest prefix). */
export const ADDRESS_BITS: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

export function parseIpAddress(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 'ipv4', text, value: BigInt(v4) };
  const v6 = parseIpv6(text);
  if (v6 !== null) return { family: 'ipv6', text: canonicalIpv6(text)!, value: v6 };
  return null;
}

export function formatIpAddress(family: AddressFamily, value: bigint): string {
  return family === 'ipv6' ? formatIpv6(value) : formatIpv4(Number(value));
}

export function isMulticastAddress(a: IpAddress): boolean {
  return a.family === 'ipv4' ? a.value >> 28n === 0xen : isMulticast6(a.value);
}

/** The address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
export function addressBytes(a: IpAddress): Buffer {
  const bytes = Buffer.alloc(ADDRESS_BITS[a.family] / 8);
  for (let i = bytes.length - 1, v = a.value; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return bytes;
}

/** Bytes in network order (4: IPv4, 16: IPv6) to the address. */
export function addressFromBytes(bytes: Uint8Array): IpAddress {
  const family: AddressFamily = bytes.length === 4 ? 'ipv4' : 'ipv6';
  const value = [...bytes].reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  return { family, text: formatIpAddress(family, value), value };
}

/** The canonical text of an address given as bytes in network order. */
export const formatAddress = (bytes: Uint8Array): string => addressFromBytes(bytes).text;

/** "BASE" or "BASE/LEN", split; `prefixLength` is undefined when there is no "/". Null when malformed. */
export function splitPrefix(text: string): { address: string; prefixLength?: number } | null {
  const slash = text.indexOf('/');
  if (slash < 0) return { address: text };
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return null;
  return { address: text.slice(0, slash), prefixLength: Number(len) };
}

/** A set of addresses written BASE/LEN (LEN = the family's bit count for a single address). */
export interface AddressRange {
  base: IpAddress;
  prefixLength: number;
}

export function rangeSize(r: AddressRange): bigint {
  return 1n << BigInt(ADDRESS_BITS[r.base.family] - r.prefixLength);
}

function hostMask(r: AddressRange): bigint {
  return rangeSize(r) - 1n;
}

/** True when every bit after the prefix is 0 (the address is the base of its range). */
export function hostBitsAreZero(r: AddressRange): boolean {
  return (r.base.value & hostMask(r)) === 0n;
}

/** The range's own base with host bits cleared: what the user probably meant. */
export function networkOf(r: AddressRange): IpAddress {
  const value = r.base.value & ~hostMask(r);
  return { family: r.base.family, text: formatIpAddress(r.base.family, value), value };
}

/** Two ranges of the same family share an address; with CIDR prefixes one then contains the other. */
export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  if (a.base.family !== b.base.family) return false;
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const shift = BigInt(ADDRESS_BITS[a.base.family] - shorter);
  return a.base.value >> shift === b.base.value >> shift;
}

const IPV4_LINK_LOCAL_GROUPS: AddressRange = { base: { family: 'ipv4', text: '224.0.0.0', value: 0xe0000000n }, prefixLength: 24 };

/**
 * Whether a multicast range reaches groups that never leave the link: IPv4 224.0.0.0/24 (IGMP, OSPF,
 * mDNS...), IPv6 scopes 1 (interface-local) and 2 (link-local). The IPv6 scope sits in the first 16
 * bits, which every range of 16 bits or more shares.
 */
export function reachesLinkLocalGroups(r: AddressRange): boolean {
  if (r.base.family === 'ipv6') return isMulticast6(r.base.value) && isLinkScope6(r.base.value);
  return rangesOverlap(r, IPV4_LINK_LOCAL_GROUPS);
}
