// The Internet checksum (RFC 1071) that IGMP and ICMPv6 carry: the one's complement of the one's
// complement sum of the 16-bit words. A message whose checksum field is right sums to 0xffff, so the
// checksum of a whole received message (field included) is 0 exactly when it is intact.

/** The checksum over `parts` taken as one byte string (an odd length is padded with a zero byte). */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | null = null;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === null) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = null;
      }
    }
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The IPv6 pseudo-header ICMPv6 sums before its message (RFC 8200 §8.1): source, destination, the
 * upper-layer length and next header 58. MLD's checksum depends on the IP addresses, which is why
 * parsing and building an MLD message take them.
 */
export function icmpv6PseudoHeader(source: Uint8Array, destination: Uint8Array, length: number): Buffer {
  const header = Buffer.alloc(40);
  header.set(source, 0);
  header.set(destination, 16);
  header.writeUInt32BE(length, 32);
  header[39] = 58;
  return header;
}
