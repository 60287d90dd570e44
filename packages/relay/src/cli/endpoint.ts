import { UsageError } from '@mcr/cli-kit';

export interface EndpointText {
  interface: string;
  /** The group as the config file writes it: an address, or BASE/LEN (IPv6 without its brackets). */
  group: string;
  port: number;
  ttl?: number;
}

// IFACE : GROUP (IPv4, or IPv6 in brackets) [/LEN] : PORT [: TTL]
const ENDPOINT = /^(?<iface>[^:[\]/]+):(?:\[(?<v6>[^\]]+)\]|(?<v4>[^:[\]/]+))(?:\/(?<len>[^:]+))?:(?<port>[^:]+)(?::(?<ttl>[^:]+))?$/;

/**
 * An endpoint as `mcr add` writes it: `IFACE:GROUP[/LEN]:PORT[:TTL]`, an IPv6 group in brackets
 * (`in0:[ff3e::1:0]/120:5001`), since its colons would be read as separators. Only the shape is
 * checked here: the addresses, ports and TTLs are the relay's rule schema's (its answer names the
 * field), so numbers stay numbers and anything else reaches it as written.
 */
export function parseEndpoint(text: string, flag: string, allowTtl: boolean): EndpointText {
  const shape = allowTtl ? 'IFACE:GROUP[/LEN]:PORT[:TTL]' : 'IFACE:GROUP[/LEN]:PORT';
  const m = ENDPOINT.exec(text)?.groups;
  if (!m || (m.ttl !== undefined && !allowTtl)) {
    // An IPv6 address has "::" or seven colons of its own.
    const unbracketed = !text.includes('[') && (text.includes('::') || (text.match(/:/g)?.length ?? 0) > 4);
    const hint = unbracketed ? ' (an IPv6 group goes in brackets: in0:[ff3e::1:2]:5001)' : '';
    throw new UsageError(`${flag}: must be ${shape}${hint}, got ${JSON.stringify(text)}`);
  }
  const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : s) as number;
  const group = `${m.v6 ?? m.v4}${m.len === undefined ? '' : `/${m.len}`}`;
  return { interface: m.iface!, group, port: num(m.port!), ...(m.ttl === undefined ? {} : { ttl: num(m.ttl) }) };
}
