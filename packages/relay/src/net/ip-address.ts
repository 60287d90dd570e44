import { isIPv4, isIPv6 } from 'node:net';

// Family-independent address arithmetic for what the daemon derives from rules (the groups of a range,
// the scope of an IPv6 group). Addresses stay canonical strings everywhere else; they become BigInts
// only here, where arithmetic is needed. Parsing and validation of what users write is the schema's.

export type AddressFamily = 'ipv4' | 'ipv6';

export const ADDRESS_BITS: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

/** The family of an address in text form; throws on anything else (the schema let it through). */
export function familyOf(address: string): AddressFamily {
  if (isIPv4(address)) return 'ipv4';
  if (isIPv6(address)) return 'ipv6';
  throw new TypeError(`not an IPv4 or IPv6 address: "${address}"`);
}

function toBigInt(address: string, family: AddressFamily): bigint {
  if (family === 'ipv4') return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBigInt(value: bigint, family: AddressFamily): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // Canonical text (RFC 5952), as the schema writes it: the URL parser compresses the same way.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Addresses in `base`/`prefixLength`. */
export function rangeSize(base: string, prefixLength: number): bigint {
  return 1n << BigInt(ADDRESS_BITS[familyOf(base)] - prefixLength);
}

/** The `offset`-th address after `base` (the range's offset mapping: base + offset). */
export function addressAt(base: string, offset: bigint): string {
  const family = familyOf(base);
  return fromBigInt(toBigInt(base, family) + offset, family);
}

/** Every address of `base`/`prefixLength`, in order; the caller bounds the size (rangeSize) first. */
export function addressesOf(base: string, prefixLength: number): string[] {
  const size = rangeSize(base, prefixLength);
  const out: string[] = [];
  for (let i = 0n; i < size; i++) out.push(addressAt(base, i));
  return out;
}

/**
 * Whether packets to `address` never leave the link: IPv6 multicast of interface-local or link-local
 * scope (ff01::/16, ff02::/16 and their flag variants ffX1, ffX2), or a unicast fe80::/10 address.
 * Such packets are sent from the interface's link-local address.
 */
export function isLinkScopeIpv6(address: string): boolean {
  if (familyOf(address) !== 'ipv6') return false;
  const first = Number(toBigInt(address, 'ipv6') >> 112n);
  if (first >> 8 === 0xff) return (first & 0xf) === 1 || (first & 0xf) === 2;
  return first >> 6 === 0xfe80 >> 6;
}

/** IPv4 224.0.0.0/4, IPv6 ff00::/8. */
export function isMulticastAddress(address: string): boolean {
  const family = familyOf(address);
  const n = toBigInt(address, family);
  return family === 'ipv4' ? n >> 28n === 0xen : n >> 120n === 0xffn;
}
