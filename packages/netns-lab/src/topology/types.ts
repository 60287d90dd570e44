// A topology is plain, JSON-serialisable data (Mininet's habit): builders produce it without side
// effects, `up()` realises it with `ip`, `bridge`, `sysctl` and `tc`, and the same object is what
// the registry stores so `mcr-lab topo down` can find a lab again from another process.

export type Role = 'source' | 'relay' | 'sink' | 'switch';

/** IP version a scenario, stream or relay adapter works in (the lab is dual stack: address-plan.ts). */
export type AddressFamily = 'ipv4' | 'ipv6';

export interface NamespaceSpec {
  name: string;
  role: Role;
  /**
   * Applied with `sysctl -w`, in insertion order: namespace-wide keys (`net.ipv4.ip_forward`,
   * `net.ipv6.conf.default.*`, `...conf.all.*`) right after the namespace is created, so interfaces
   * inherit the defaults; per-interface keys (`net.ipv4.conf.IF.*`) once the interfaces exist.
   */
  sysctls: Record<string, string>;
  /** Interface that carries the `224.0.0.0/4` route (the one facing the next hop), if any. */
  mcastRoute?: string;
}

export interface LinkEnd {
  ns: string;
  ifname: string;
  /** CIDR, e.g. `10.1.0.1/24`; absent on bridge ports. */
  address?: string;
  /** IPv6 CIDR, e.g. `fd00:0:0:1::1/64`, added with `nodad`; present whenever `address` is. */
  address6?: string;
  /**
   * A fixed link-local address (`fe80::2/64`) in place of the one the kernel derives from the MAC
   * (`addrgenmode none`): MLD querier election compares link-local sources, so a lab that needs a
   * given winner sets them.
   */
  linkLocal?: string;
}

/**
 * Impairment applied with `tc qdisc add dev X root netem ...` inside the namespace (or `tbf` when
 * only `rate` is given: it works on kernels without netem).
 */
export interface NetemSpec {
  lossPct?: number;
  delayMs?: number;
  jitterMs?: number;
  /** e.g. `100mbit`, `1gbit`. */
  rate?: string;
  /** Which end's egress is impaired; default `a` (builders put the upstream end at `a`). */
  on?: 'a' | 'b' | 'both';
}

export interface LinkSpec {
  /** Stable id used to address the link in options, e.g. `src-rly`, `rly-snk0`. */
  id: string;
  a: LinkEnd;
  b: LinkEnd;
  netem?: NetemSpec;
}

export interface BridgeSpec {
  ns: string;
  name: string;
  ports: string[];
  /** IGMP and MLD snooping alike (`mcast_snooping` covers both families). */
  mcastSnooping: boolean;
  /**
   * The bridge is its own IGMP and MLD querier. `up()` turns it on only once the bridge has its
   * fe80:: address: an MLD querier started earlier queries without one and snooping then passes no
   * IPv6 group at all (field notes).
   */
  mcastQuerier: boolean;
  /** `mcast_mld_version` (kernel default 1); 2 lets receivers send MLDv2 (source-specific) reports. */
  mcastMldVersion?: 1 | 2;
  /** Ports with `bridge link set dev X mcast_flood off`: they get only groups joined behind them. */
  noFloodPorts: string[];
  /**
   * Ports whose link-local multicast (224.0.0.0/24, ff02::/16: queries) a tc mirror (clsact, u32,
   * mirred) copies to the noFloodPorts. RFC 4541 2.1.2 has a snooping switch forward that traffic on
   * every port; Linux's bridge with `mcast_flood off` drops it too, so hosts there would hear no
   * querier but the bridge's own.
   */
  linkLocalFrom?: string[];
  /** `mcast_igmp_version` (kernel default 2); 3 makes the bridge's querier an IGMPv3 querier. */
  mcastIgmpVersion?: 2 | 3;
  /**
   * The bridge's own addresses (IPv4 and IPv6 CIDR, and a fixed link-local like LinkEnd.linkLocal),
   * with `mcast_query_use_ifaddr 1`: its IGMP queries then come from `address` instead of 0.0.0.0,
   * so it takes part in querier election as a host of the segment with that address.
   */
  address?: string;
  address6?: string;
  linkLocal?: string;
  /** Snooping timers as `ip link` names them (BRIDGE_MCAST_TIMERS), in centiseconds, or counts. */
  mcastTimers?: Partial<Record<BridgeMcastTimer, number>>;
  /**
   * Ports with `bridge link set dev X mcast_router 2` (permanent multicast router port): they get
   * every group and every report, as the port of a multicast router (the relay) or a monitor must.
   */
  routerPorts?: string[];
}

/** The bridge's snooping timers and counts that a topology may set (`ip link help bridge`). */
export const BRIDGE_MCAST_TIMERS = [
  'mcast_query_interval',
  'mcast_query_response_interval',
  'mcast_last_member_interval',
  'mcast_last_member_count',
  'mcast_membership_interval',
  'mcast_querier_interval',
  'mcast_startup_query_interval',
  'mcast_startup_query_count',
] as const;
export type BridgeMcastTimer = (typeof BRIDGE_MCAST_TIMERS)[number];

/** What a consumer needs to talk to a role: namespace, interface, its address. */
export interface Endpoint {
  ns: string;
  ifname: string;
  /** CIDR. */
  address: string;
  /** The bare IPv4 of `address`. */
  ip: string;
  /** IPv6 CIDR on the same segment (address-plan.ts). */
  address6: string;
  /** The bare IPv6 of `address6`. */
  ip6: string;
}

export interface RelayRole {
  ns: string;
  inputs: Endpoint[];
  outputs: Endpoint[];
}

export interface SwitchRole {
  ns: string;
  bridge: string;
  /** Bridge port facing the source(s). */
  sourcePort: string;
  /** Bridge port facing the relay (mcast_flood off). */
  relayPort: string;
}

export type TopologyKind = 'chain' | 'switch' | 'fanout' | 'chain3' | 'converge' | 'segment' | 'ring' | 'segments';

export interface Topology {
  kind: TopologyKind;
  name: string;
  prefix: string;
  namespaces: NamespaceSpec[];
  links: LinkSpec[];
  bridges: BridgeSpec[];
  /** Convenience views, derived from the above. `source` = `sources[0]`, `relay` = `relays[0]`. */
  source: Endpoint;
  sources: Endpoint[];
  relay: RelayRole;
  relays: RelayRole[];
  sinks: Endpoint[];
  switch?: SwitchRole;
  /** `segments` only: each output segment's bridge, observer and receivers. */
  segments?: OutputSegment[];
}

/** One output segment of the `segments` topology: a bridge with the relay's output, an observer and receivers. */
export interface OutputSegment {
  /** 0-based, the relay output `out<index>` it hangs off. */
  index: number;
  /** Namespace and name of its bridge. */
  ns: string;
  bridge: string;
  /** The relay's end on it. */
  relay: Endpoint;
  /** A passive host (joins nothing) whose bridge port is a multicast router port: it sees all the segment carries. */
  observer: Endpoint;
  receivers: Endpoint[];
  /** The bridge's own address when it snoops and queries (BridgeSpec.address), else absent. */
  querier?: { ip: string; ip6: string };
  /** The bridge port of each member, by namespace. */
  ports: Record<string, string>;
}
