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
}

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

export type TopologyKind = 'chain' | 'switch' | 'fanout' | 'chain3' | 'converge' | 'segment' | 'ring';

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
}
