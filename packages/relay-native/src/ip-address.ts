// Family-independent address helpers. The native side takes every address as a Buffer in network
// byte order: 4 bytes for IPv4, 16 for IPv6 (the length is the family).
import { isIPv6 } from 'node:net';

import { ipv4ToNumber, numberToIpv4 } from './ipv4.js';

export type AddressFamily = 'ipv4' | 'ipv6';

export interface ParsedAddress {
  family: AddressFamily;
  bytes: Buffer;
}

/** Bits of an address of each family (the longest prefix). */
export const ADDRESS_BITS: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

/** Text form of an IPv6 address (no zone index, no brackets) to 16 bytes, or null. */
export function ipv6ToBuffer(text: string): Buffer | null {
  if (text.includes('%') || !isIPv6(text)) return null;
  // A dotted-quad tail (::ffff:192.0.2.1) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let head = text;
  if (tail.includes('.')) {
    const v4 = ipv4ToNumber(tail);
    if (v4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = halves.length === 2 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

/** Canonical IPv6 text (lower case, RFC 5952 compression), as `new URL('http://[x]').hostname`. */
export function bufferToIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

export function parseAddress(text: string): ParsedAddress | null {
  const v4 = ipv4ToNumber(text);
  if (v4 !== null) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(v4);
    return { family: 'ipv4', bytes };
  }
  const v6 = ipv6ToBuffer(text);
  return v6 === null ? null : { family: 'ipv6', bytes: v6 };
}

export function formatAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? numberToIpv4(Buffer.from(bytes).readUInt32BE(0)) : bufferToIpv6(bytes);
}

/** IPv4 224.0.0.0/4, IPv6 ff00::/8. */
export function isMulticastAddress(address: ParsedAddress): boolean {
  return address.family === 'ipv4' ? address.bytes[0]! >> 4 === 0xe : address.bytes[0] === 0xff;
}

/** True when every bit after the first `prefixLength` is 0 (the address is the base of its range). */
export function hostBitsZero(bytes: Uint8Array, prefixLength: number): boolean {
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}
