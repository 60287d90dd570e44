import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `HOST:PORT` as the config and `--metrics` write it: an IPv4 address, or an IPv6 address in
 * brackets (`[::1]:9464`). Returns the reason it is not one, naming the value, or the address.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined) return `must be HOST:PORT (e.g. "127.0.0.1:9464" or "[::1]:9464"), got ${JSON.stringify(text)}`;
  if (isIP(host) === 0) return `must name an IP address, got ${JSON.stringify(host)} in ${JSON.stringify(text)}`;
  if (m[1] !== undefined && isIP(host) !== 6) return `only IPv6 addresses go in brackets, got ${JSON.stringify(text)}`;
  if (port < 1 || port > 65535) return `port must be 1..65535, got ${port}`;
  return { host, port };
}
