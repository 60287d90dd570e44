// Address helpers: the native side takes IPv4 as host-order uint32 and MACs as 6-byte Buffers.

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Dotted quad to uint32, or null when the text is not one. */
export function ipv4ToNumber(text: string): number | null {
  const match = IPV4.exec(text);
  if (match === null) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255 || (match[i]!.length > 1 && match[i]!.startsWith('0'))) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** 224.0.0.0/4 */
export function isMulticast(value: number): boolean {
  return value >>> 28 === 0xe;
}

export function macToBuffer(text: string): Buffer | null {
  if (!MAC.test(text)) return null;
  return Buffer.from(text.split(':').map((octet) => parseInt(octet, 16)));
}
