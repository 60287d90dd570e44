// IPv4 address helpers. Addresses stay strings in our interfaces (config, control protocol, JSON),
// and are turned into numbers only where arithmetic is needed.

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

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

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== null;
}

/** 224.0.0.0/4 */
export function isMulticast(text: string): boolean {
  const v = parseIpv4(text);
  return v !== null && v >>> 28 === 0xe;
}

/** 224.0.0.0/24 is link-local control traffic (IGMP, OSPF...): never relay or join it. */
export function isLinkLocalMulticast(text: string): boolean {
  const v = parseIpv4(text);
  return v !== null && v >>> 8 === 0xe00000;
}

/**
 * Why a unicast output address can never be a destination (a reason to print), or null when it can:
 * 0.0.0.0 (unspecified), 127/8 (loopback: never leaves the host), 240/4 (reserved, and the limited
 * broadcast 255.255.255.255).
 */
export function unsendableUnicast(text: string): string | null {
  const v = parseIpv4(text);
  if (v === null) return null;
  if (v === 0) return 'the unspecified address 0.0.0.0';
  if (v === 0xffffffff) return 'the limited broadcast address 255.255.255.255';
  if (v >>> 24 === 127) return 'a loopback address (127.0.0.0/8)';
  if (v >>> 28 === 0xf) return 'a reserved address (240.0.0.0/4)';
  return null;
}
