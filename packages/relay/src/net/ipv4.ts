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
