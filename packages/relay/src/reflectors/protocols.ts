// The discovery protocols a reflector knows by name: their groups, port, and the TTL / hop limit a
// reflected copy goes out with. Stated once; the config schema, the daemon and the docs read it here.

export const REFLECTOR_PROTOCOL_NAMES = ['mdns', 'ssdp', 'wsd'] as const;
export type ReflectorProtocolName = (typeof REFLECTOR_PROTOCOL_NAMES)[number];

export interface ReflectorEndpoint {
  /** IPv4 group (canonical text), or absent: the protocol has no IPv4 group. */
  group?: string;
  /** IPv6 group (canonical text), or absent. */
  group6?: string;
  port: number;
  /** A copy's TTL / hop limit: a number, or 'keep' (what came in). */
  hopLimit: number | 'keep';
  /** mdns: the payload is a DNS message that service filters and link-local stripping read. */
  dns: boolean;
}

export const REFLECTOR_PROTOCOLS: Record<ReflectorProtocolName, ReflectorEndpoint> = {
  // RFC 6762 §11: mDNS is sent with TTL / hop limit 255, and receivers may check it.
  mdns: { group: '224.0.0.251', group6: 'ff02::fb', port: 5353, hopLimit: 255, dns: true },
  // UPnP Device Architecture 2.0 §1.1: the sender's TTL (default 2) is kept.
  ssdp: { group: '239.255.255.250', group6: 'ff02::c', port: 1900, hopLimit: 'keep', dns: false },
  // WS-Discovery 1.1 §3.1.1: 239.255.255.250 / ff02::c port 3702, TTL 1 from its senders, kept.
  wsd: { group: '239.255.255.250', group6: 'ff02::c', port: 3702, hopLimit: 'keep', dns: false },
};
