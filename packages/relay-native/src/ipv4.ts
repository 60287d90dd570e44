// IPv4 address helpers. Addresses stay dotted-quad strings in every interface (config, control
// protocol, JSON) and become numbers only where arithmetic is needed; the native side takes IPv4 as
// host-order uint32 and MACs as 6-byte Buffers.

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Dotted quad to uint32, or null when the text is not one. */
export function parseIpv4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null; // "010" is octal to some parsers: refuse it
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** 224.0.0.0/4 */
export function isMulticast4(value: number): boolean {
  return value >>> 28 === 0xe;
}

/**
 * Why a unicast output address can never be a destination (a reason to print), or null when it can:
 * 0.0.0.0 (unspecified), 127/8 (loopback: never leaves the host), 240/4 (reserved, and the limited
 * broadcast 255.255.255.255).
 */
export function unsendableUnicast4(value: number): string | null {
  if (value === 0) return 'the unspecified address 0.0.0.0';
  if (value === 0xffffffff) return 'the limited broadcast address 255.255.255.255';
  if (value >>> 24 === 127) return 'a loopback address (127.0.0.0/8)';
  if (value >>> 28 === 0xf) return 'a reserved address (240.0.0.0/4)';
  return null;
}

export function macToBuffer(text: string): Buffer | null {
  if (!MAC.test(text)) return null;
  return Buffer.from(text.split(':').map((octet) => parseInt(octet, 16)));
}

/** 6 bytes as 'aa:bb:cc:dd:ee:ff' (lower case): the text macToBuffer reads. */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
