// The lab's unicast address plan, stated once (dual stack). Every addressed segment s (1-based, in
// the order a builder creates them) carries both
//   IPv4  10.s.0.N/24
//   IPv6  fd00:0:0:s::N/64
// where N is the member's host number on the segment (1 = upstream end, toward the source; 2 =
// downstream end; bridged segments number their members 1, 2, ... in order). s and N are written
// with the same decimal digits in both families (10.12.0.2 <-> fd00:0:0:12::2): the IPv6 digits read
// as hex, which keeps distinct segments distinct and the text canonical (RFC 5952: lower case, no
// leading zeros), so it compares equal to what the relay prints.
//
// IPv6 is on in every namespace and duplicate address detection is off (the namespace defaults are
// set before any interface exists, so every interface, link-local address included, inherits them;
// global addresses are also added with `nodad`): addresses are usable at once instead of staying
// "tentative" for a second or two. The kernel installs `multicast ff00::/8 dev IF table local` on
// every IPv6 interface, so IPv6 needs no multicast route: senders pick the interface with
// IPV6_MULTICAST_IF.
import type { AddressFamily, Endpoint } from './types.js';

export const FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];

/** Host bits of the two prefixes. */
export const IPV4_PREFIX_LENGTH = 24;
export const IPV6_PREFIX_LENGTH = 64;

/** The CIDR addresses of member `host` on segment `segment`. */
export function segmentAddress(segment: number, host: number): { address: string; address6: string } {
  if (!Number.isInteger(segment) || segment < 1 || segment > 254) throw new RangeError(`address plan: segment must be 1..254, received ${segment}`);
  if (!Number.isInteger(host) || host < 1 || host > 254) throw new RangeError(`address plan: host must be 1..254, received ${host}`);
  return { address: `10.${segment}.0.${host}/${IPV4_PREFIX_LENGTH}`, address6: `fd00:0:0:${segment}::${host}/${IPV6_PREFIX_LENGTH}` };
}

/** An Endpoint for member `host` of segment `segment`. */
export function endpointOn(ns: string, ifname: string, segment: number, host: number): Endpoint {
  const { address, address6 } = segmentAddress(segment, host);
  return { ns, ifname, address, ip: bare(address), address6, ip6: bare(address6) };
}

/** The endpoint's bare address in `family`. */
export function endpointIp(e: Pick<Endpoint, 'ip' | 'ip6'>, family: AddressFamily): string {
  return family === 'ipv6' ? e.ip6 : e.ip;
}

/**
 * Namespace-wide sysctls for IPv6, applied before any interface exists so that every interface
 * inherits them: IPv6 on, no DAD (addresses usable at once).
 */
export const IPV6_NAMESPACE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv6.conf.all.disable_ipv6': '0',
  'net.ipv6.conf.default.disable_ipv6': '0',
  'net.ipv6.conf.all.accept_dad': '0',
  'net.ipv6.conf.default.accept_dad': '0',
};

export function checkFamily(name: string, value: unknown): AddressFamily {
  if (value === 'ipv4' || value === 'ipv6') return value;
  throw new TypeError(`option "${name}" must be one of ${FAMILIES.join(', ')}, received ${JSON.stringify(value)}`);
}

const bare = (cidr: string): string => cidr.split('/')[0]!;
