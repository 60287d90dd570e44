// The Internet checksum's arithmetic (RFC 1071), for tests that build frames or check captured ones.

/** Sum of the buffer's big-endian 16-bit words (an odd last byte padded with 0), not yet folded. */
export function sum16(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0);
  return sum;
}

/** Folds the carries back in until the sum fits 16 bits (end-around carry). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}
