// Pure topology builders. No I/O: each returns a fresh Topology object.
//
// Addressing plan (the same for every builder; the addresses themselves, IPv4 and IPv6, come from
// address-plan.ts):
//   - every IP segment s (1-based, in link order) is 10.s.0.0/24 and fd00:0:0:s::/64; its upstream
//     end (toward the source) is host 1, its downstream end host 2;
//   - in `switch`, segment 1 spans the bridge: source eth0 = host 1, relay in0 = host 2, and
//     the bridge ports carry no address;
//   - in `segment` and `ring`, each bridged segment's members get hosts 1, 2, ... in the order the
//     builder lists them;
//   - in `segments`, output segment k is IP segment k+2 (segment 1 is src -> rly in0) and its hosts
//     are SEGMENT_HOSTS: the relay's out<k> 2 (link-local fe80::2), the observer 3, receiver j 4+j,
//     and the bridge, when it queries, 1 (fe80::1: below the relay, it wins the election) or 254
//     (fe80::fe: above the relay, the relay wins).
// Namespaces: `${prefix}-src` / `-rly` / `-snk` (with an index 0.. when a role has several:
// fanout sinks `-snk0..`, converge sources `-src0..`, chain3 relays `-rly0..2`), `-sw` for the switch.
// Interfaces: sources and sinks `eth0`; relays `in0..` (inputs) and `out0..` (outputs); the switch
// `p-src`, `p-rly` and bridge `br0`.
import { IPV6_NAMESPACE_SYSCTLS, endpointOn } from './address-plan.js';
import { IFNAMES, checkIfname, checkPrefix, nsName } from './names.js';
import type {
  BridgeMcastTimer,
  BridgeSpec,
  Endpoint,
  LinkSpec,
  NamespaceSpec,
  OutputSegment,
  NetemSpec,
  RelayRole,
  Role,
  Topology,
  TopologyKind,
} from './types.js';

export interface BaseOptions {
  prefix: string;
  /** Impairments keyed by link id (e.g. `{ 'rly-snk': { lossPct: 1 } }`). */
  netem?: Record<string, NetemSpec>;
}
export type ChainOptions = BaseOptions;
export type SwitchOptions = BaseOptions;
export type Chain3Options = BaseOptions;
export interface FanoutOptions extends BaseOptions {
  /** Number of relay outputs, each to its own sink namespace; BRANCHES.min..max, default BRANCHES.default. */
  outputs?: number;
}
export interface ConvergeOptions extends BaseOptions {
  /** Number of source namespaces, each on its own relay input; BRANCHES.min..max, default BRANCHES.default. */
  sources?: number;
}

/** How many outputs a fanout, or sources a converge, may have, and how many it has by default. */
export const BRANCHES = { min: 1, max: 64, default: 2 } as const;

/** `value` (or the range's default) checked against `range`: a RangeError names the option. */
function bounded(name: string, value: number | undefined, range: { min: number; max: number; default: number }): number {
  const v = value ?? range.default;
  if (!Number.isInteger(v) || v < range.min || v > range.max) {
    throw new RangeError(`option "${name}" must be an integer ${range.min}..${range.max}, received ${String(value)}`);
  }
  return v;
}

const count = (name: string, value: number | undefined): number => bounded(name, value, BRANCHES);

/** The LinkEnd of an addressed endpoint. */
const addressed = (e: Endpoint): LinkSpec['a'] => ({ ns: e.ns, ifname: e.ifname, address: e.address, address6: e.address6 });

/** Accumulates namespaces and links; local state only, so the builders stay pure. */
class Draft {
  readonly namespaces: NamespaceSpec[] = [];
  readonly links: LinkSpec[] = [];
  readonly bridges: BridgeSpec[] = [];
  private segment = 0;

  constructor(readonly prefix: string) {}

  ns(name: string, role: Role, mcastRoute?: string): NamespaceSpec {
    const sysctls: Record<string, string> = {
      // Multicast from a source the reverse path does not point to would be dropped: the
      // effective value is max(all, iface), so both must be 0.
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '0',
      ...IPV6_NAMESPACE_SYSCTLS,
    };
    if (role === 'relay') {
      sysctls['net.ipv4.ip_forward'] = '1';
      sysctls['net.ipv6.conf.all.forwarding'] = '1';
    }
    const spec: NamespaceSpec = { name, role, sysctls, ...(mcastRoute ? { mcastRoute } : {}) };
    this.namespaces.push(spec);
    return spec;
  }

  /** The namespaces of a topology with one switch: source, switch, relay, sink. */
  switchedNamespaces(): { src: string; sw: string; rly: string; snk: string } {
    const names = { src: nsName(this.prefix, 'src'), sw: nsName(this.prefix, 'sw'), rly: nsName(this.prefix, 'rly'), snk: nsName(this.prefix, 'snk') };
    this.ns(names.src, 'source', IFNAMES.source);
    this.ns(names.sw, 'switch');
    this.ns(names.rly, 'relay');
    this.ns(names.snk, 'sink', IFNAMES.sink);
    return names;
  }

  /** A routed point-to-point segment: returns the two endpoints. */
  link(id: string, aNs: string, aIf: string, bNs: string, bIf: string): [Endpoint, Endpoint] {
    this.segment += 1;
    const a = endpointOn(aNs, aIf, this.segment, 1);
    const b = endpointOn(bNs, bIf, this.segment, 2);
    this.rawLink(id, addressed(a), addressed(b));
    return [a, b];
  }

  /** Takes the next segment number for a segment made of several links (the switch). */
  nextSegment(): number {
    this.segment += 1;
    return this.segment;
  }

  /**
   * One L2 segment: a plain bridge (no snooping: it floods every group, as an unmanaged switch does)
   * in `sw`, and one veth per member from the member's interface to a bridge port. Members get
   * hosts 1, 2, ... of segment s in order. Link ids are `sw-<port facing>`.
   */
  bridgedSegment(sw: string, bridge: string, members: Array<{ ns: string; ifname: string; facing: string }>): Endpoint[] {
    const seg = this.nextSegment();
    const ports = members.map((m) => IFNAMES.bridgePort(m.facing));
    const ends = members.map((m, i) => {
      const e = endpointOn(m.ns, m.ifname, seg, i + 1);
      this.rawLink(`sw-${m.facing}`, { ns: sw, ifname: ports[i]! }, addressed(e));
      return e;
    });
    this.bridges.push({ ns: sw, name: bridge, ports, mcastSnooping: false, mcastQuerier: false, noFloodPorts: [] });
    return ends;
  }

  rawLink(id: string, a: LinkSpec['a'], b: LinkSpec['b']): void {
    this.links.push({ id, a, b });
  }

  finish(kind: TopologyKind, opts: BaseOptions, roles: Pick<Topology, 'sources' | 'relays' | 'sinks' | 'switch'>): Topology {
    // Per-interface rp_filter, now that every interface is known.
    for (const link of this.links) {
      for (const end of [link.a, link.b]) {
        checkIfname(end.ifname);
        const spec = this.namespaces.find((n) => n.name === end.ns)!;
        spec.sysctls[`net.ipv4.conf.${end.ifname}.rp_filter`] = '0';
      }
    }
    for (const b of this.bridges) checkIfname(b.name);
    for (const [id, netem] of Object.entries(opts.netem ?? {})) {
      const link = this.links.find((l) => l.id === id);
      if (!link) {
        throw new RangeError(`option "netem" names link "${id}", which ${kind} does not have (links: ${this.links.map((l) => l.id).join(', ')})`);
      }
      link.netem = { ...netem };
    }
    return {
      kind,
      name: `${kind}:${this.prefix}`,
      prefix: this.prefix,
      namespaces: this.namespaces,
      links: this.links,
      bridges: this.bridges,
      source: roles.sources[0]!,
      sources: roles.sources,
      relay: roles.relays[0]!,
      relays: roles.relays,
      sinks: roles.sinks,
      ...(roles.switch ? { switch: roles.switch } : {}),
    };
  }
}

/** src(eth0) -> (in0)rly(out0) -> (eth0)snk. Links `src-rly`, `rly-snk`. */
export function chain(opts: ChainOptions): Topology {
  const d = new Draft(checkPrefix(opts.prefix));
  const src = nsName(d.prefix, 'src');
  const rly = nsName(d.prefix, 'rly');
  const snk = nsName(d.prefix, 'snk');
  d.ns(src, 'source', IFNAMES.source);
  d.ns(rly, 'relay');
  d.ns(snk, 'sink', IFNAMES.sink);
  const [s, rin] = d.link('src-rly', src, IFNAMES.source, rly, IFNAMES.relayInput(0));
  const [rout, k] = d.link('rly-snk', rly, IFNAMES.relayOutput(0), snk, IFNAMES.sink);
  return d.finish('chain', opts, { sources: [s], relays: [{ ns: rly, inputs: [rin], outputs: [rout] }], sinks: [k] });
}

/**
 * src(eth0) -> (p-src)sw[br0](p-rly) -> (in0)rly(out0) -> (eth0)snk. The bridge snoops IGMP and
 * MLD (version 2), is its own querier for both, and does not flood unknown groups to the relay
 * port: a group, IPv4 or IPv6, reaches the relay only while something there has joined it. It
 * forwards nothing to that port for ~10 s after creation (field notes): call `awaitSnooping()`
 * (with the family to be used) before counting.
 * Links `src-sw`, `sw-rly`, `rly-snk`.
 */
export function switchTopo(opts: SwitchOptions): Topology {
  const d = new Draft(checkPrefix(opts.prefix));
  const { src, sw, rly, snk } = d.switchedNamespaces();
  const seg = d.nextSegment();
  const s = endpointOn(src, IFNAMES.source, seg, 1);
  const rin = endpointOn(rly, IFNAMES.relayInput(0), seg, 2);
  d.rawLink('src-sw', addressed(s), { ns: sw, ifname: IFNAMES.switchSourcePort });
  d.rawLink('sw-rly', { ns: sw, ifname: IFNAMES.switchRelayPort }, addressed(rin));
  d.bridges.push({
    ns: sw,
    name: IFNAMES.bridge,
    ports: [IFNAMES.switchSourcePort, IFNAMES.switchRelayPort],
    mcastSnooping: true,
    mcastQuerier: true,
    mcastMldVersion: 2,
    noFloodPorts: [IFNAMES.switchRelayPort],
  });
  const [rout, k] = d.link('rly-snk', rly, IFNAMES.relayOutput(0), snk, IFNAMES.sink);
  return d.finish('switch', opts, {
    sources: [s],
    relays: [{ ns: rly, inputs: [rin], outputs: [rout] }],
    sinks: [k],
    switch: { ns: sw, bridge: IFNAMES.bridge, sourcePort: IFNAMES.switchSourcePort, relayPort: IFNAMES.switchRelayPort },
  });
}

/** src -> (in0)rly(out0..outK-1) -> snk0..snkK-1. Links `src-rly`, `rly-snk0..`. */
export function fanout(opts: FanoutOptions): Topology {
  const outputs = count('outputs', opts.outputs);
  const d = new Draft(checkPrefix(opts.prefix));
  const src = nsName(d.prefix, 'src');
  const rly = nsName(d.prefix, 'rly');
  d.ns(src, 'source', IFNAMES.source);
  d.ns(rly, 'relay');
  const [s, rin] = d.link('src-rly', src, IFNAMES.source, rly, IFNAMES.relayInput(0));
  const relay: RelayRole = { ns: rly, inputs: [rin], outputs: [] };
  const sinks: Endpoint[] = [];
  for (let k = 0; k < outputs; k++) {
    const snk = nsName(d.prefix, 'snk', k);
    d.ns(snk, 'sink', IFNAMES.sink);
    const [rout, sk] = d.link(`rly-snk${k}`, rly, IFNAMES.relayOutput(k), snk, IFNAMES.sink);
    relay.outputs.push(rout);
    sinks.push(sk);
  }
  return d.finish('fanout', opts, { sources: [s], relays: [relay], sinks });
}

/** src -> rly0 -> rly1 -> rly2 -> snk: three relays in series (each in0 -> out0). Links `src-rly0`, `rly0-rly1`, `rly1-rly2`, `rly2-snk`. */
export function chain3(opts: Chain3Options): Topology {
  const d = new Draft(checkPrefix(opts.prefix));
  const src = nsName(d.prefix, 'src');
  const snk = nsName(d.prefix, 'snk');
  const rlys = [0, 1, 2].map((i) => nsName(d.prefix, 'rly', i));
  d.ns(src, 'source', IFNAMES.source);
  for (const r of rlys) d.ns(r, 'relay');
  d.ns(snk, 'sink', IFNAMES.sink);
  const relays: RelayRole[] = rlys.map((ns) => ({ ns, inputs: [], outputs: [] }));
  const [s, in0] = d.link('src-rly0', src, IFNAMES.source, rlys[0]!, IFNAMES.relayInput(0));
  relays[0]!.inputs.push(in0);
  for (let i = 0; i < 2; i++) {
    const [out, inn] = d.link(`rly${i}-rly${i + 1}`, rlys[i]!, IFNAMES.relayOutput(0), rlys[i + 1]!, IFNAMES.relayInput(0));
    relays[i]!.outputs.push(out);
    relays[i + 1]!.inputs.push(inn);
  }
  const [out2, k] = d.link('rly2-snk', rlys[2]!, IFNAMES.relayOutput(0), snk, IFNAMES.sink);
  relays[2]!.outputs.push(out2);
  return d.finish('chain3', opts, { sources: [s], relays, sinks: [k] });
}

/** src0..srcM-1 -> (in0..inM-1)rly(out0) -> snk. Links `src0-rly..`, `rly-snk`. */
export function converge(opts: ConvergeOptions): Topology {
  const sourcesN = count('sources', opts.sources);
  const d = new Draft(checkPrefix(opts.prefix));
  const rly = nsName(d.prefix, 'rly');
  const snk = nsName(d.prefix, 'snk');
  const srcNames = Array.from({ length: sourcesN }, (_, m) => nsName(d.prefix, 'src', m));
  for (const s of srcNames) d.ns(s, 'source', IFNAMES.source);
  d.ns(rly, 'relay');
  d.ns(snk, 'sink', IFNAMES.sink);
  const relay: RelayRole = { ns: rly, inputs: [], outputs: [] };
  const sources: Endpoint[] = [];
  srcNames.forEach((s, m) => {
    const [se, rin] = d.link(`src${m}-rly`, s, IFNAMES.source, rly, IFNAMES.relayInput(m));
    sources.push(se);
    relay.inputs.push(rin);
  });
  const [rout, k] = d.link('rly-snk', rly, IFNAMES.relayOutput(0), snk, IFNAMES.sink);
  relay.outputs.push(rout);
  return d.finish('converge', opts, { sources, relays: [relay], sinks: [k] });
}

/**
 * The one-segment loop: the relay's in0 and out0 on one plain bridge, with the source and the sink.
 * Whatever the relay sends on out0 comes straight back on in0: a rule G -> G storms unless the relay
 * recognises its own frames. Links `sw-src`, `sw-in`, `sw-out`, `sw-snk`.
 */
export function segment(opts: BaseOptions): Topology {
  const d = new Draft(checkPrefix(opts.prefix));
  const { src, sw, rly, snk } = d.switchedNamespaces();
  const [s, rin, rout, k] = d.bridgedSegment(sw, IFNAMES.bridge, [
    { ns: src, ifname: IFNAMES.source, facing: 'src' },
    { ns: rly, ifname: IFNAMES.relayInput(0), facing: 'in' },
    { ns: rly, ifname: IFNAMES.relayOutput(0), facing: 'out' },
    { ns: snk, ifname: IFNAMES.sink, facing: 'snk' },
  ]);
  return d.finish('segment', opts, { sources: [s!], relays: [{ ns: rly, inputs: [rin!], outputs: [rout!] }], sinks: [k!] });
}

/**
 * The two-relay loop: two plain bridges, relay 0 from the first to the second, relay 1 back. Rules
 * G -> G on both pass a datagram round and round until its TTL runs out (or for ever, without the
 * TTL rule). Bridge br0: src, rly0 in0, rly1 out0; bridge br1: rly0 out0, rly1 in0, snk.
 * Links `sw-src`, `sw-r0i`, `sw-r1o`, `sw-r0o`, `sw-r1i`, `sw-snk`.
 */
export function ring(opts: BaseOptions): Topology {
  const d = new Draft(checkPrefix(opts.prefix));
  const src = nsName(d.prefix, 'src');
  const sw = nsName(d.prefix, 'sw');
  const [r0, r1] = [0, 1].map((i) => nsName(d.prefix, 'rly', i)) as [string, string];
  const snk = nsName(d.prefix, 'snk');
  d.ns(src, 'source', IFNAMES.source);
  d.ns(sw, 'switch');
  d.ns(r0, 'relay');
  d.ns(r1, 'relay');
  d.ns(snk, 'sink', IFNAMES.sink);
  const [s, in0, out1] = d.bridgedSegment(sw, IFNAMES.bridge, [
    { ns: src, ifname: IFNAMES.source, facing: 'src' },
    { ns: r0, ifname: IFNAMES.relayInput(0), facing: 'r0i' },
    { ns: r1, ifname: IFNAMES.relayOutput(0), facing: 'r1o' },
  ]);
  const [out0, in1, k] = d.bridgedSegment(sw, IFNAMES.secondBridge, [
    { ns: r0, ifname: IFNAMES.relayOutput(0), facing: 'r0o' },
    { ns: r1, ifname: IFNAMES.relayInput(0), facing: 'r1i' },
    { ns: snk, ifname: IFNAMES.sink, facing: 'snk' },
  ]);
  return d.finish('ring', opts, {
    sources: [s!],
    relays: [
      { ns: r0, inputs: [in0!], outputs: [out0!] },
      { ns: r1, inputs: [in1!], outputs: [out1!] },
    ],
    sinks: [k!],
  });
}

/** How many output segments and receivers per segment `segments` may have, and has by default. */
export const SEGMENTS_LIMITS = { segments: { min: 1, max: 8, default: 3 }, receivers: { min: 1, max: 16, default: 4 } } as const;

/** Host numbers on a `segments` output segment (the addressing plan above). */
export const SEGMENT_HOSTS = { querierBelow: 1, relay: 2, observer: 3, firstReceiver: 4, querierAbove: 254 } as const;

/** The IGMP and MLD version a receiver's host stack is forced to (`force_igmp_version`, `force_mld_version`; 0 = not forced). */
export interface ReceiverVersions {
  igmp: 0 | 1 | 2 | 3;
  mld: 0 | 1 | 2;
}

/** How one output segment's bridge snoops. Absent: a plain bridge (no snooping), which floods every group. */
export interface SegmentSnooping {
  /**
   * The bridge's own querier, IGMPv3 and MLDv2, with an address below the relay's (it wins the
   * election), above it (the relay wins), or none.
   */
  querier: 'below-relay' | 'above-relay' | 'none';
  /** Snooping timers (centiseconds) and counts. */
  mcastTimers?: Partial<Record<BridgeMcastTimer, number>>;
  /**
   * The receivers' ports do not flood groups nobody joined behind them (`mcast_flood off`); the
   * relay's link-local multicast (its queries) still reaches them (BridgeSpec.linkLocalFrom).
   */
  noFlood?: boolean;
}

export interface SegmentsOptions extends BaseOptions {
  /** Output segments, SEGMENTS_LIMITS.segments. */
  segments?: number;
  /** Receiver namespaces per segment, SEGMENTS_LIMITS.receivers. */
  receivers?: number;
  /** Receiver j's forced versions: versions[j % length]; default IGMPv2/MLDv1 and IGMPv3/MLDv2 alternating. */
  versions?: ReceiverVersions[];
  /** Snooping of output segment k (its index as the key). */
  snooping?: Record<number, SegmentSnooping>;
}

const DEFAULT_VERSIONS: ReceiverVersions[] = [{ igmp: 2, mld: 1 }, { igmp: 3, mld: 2 }];

/**
 * src(eth0) -> (in0)rly(out0..outK-1), each out<k> on a bridge br<k> (namespace `-sw`) with a passive
 * observer `-obs<k>` and receivers `-rcv<k>-<j>`: the hosts of output segment k, each with its own
 * host stack (forced IGMP/MLD versions: `versions`). The observer's port is a permanent multicast
 * router port, so it sees every group the segment carries even when the bridge snoops; so is the
 * relay's, which must hear the receivers' reports. Links `src-rly`, `sw-<k>rly`, `sw-<k>obs`, `sw-<k>r<j>`.
 */
export function segments(opts: SegmentsOptions): Topology {
  const count = bounded('segments', opts.segments, SEGMENTS_LIMITS.segments);
  const receivers = bounded('receivers', opts.receivers, SEGMENTS_LIMITS.receivers);
  const versions = opts.versions ?? DEFAULT_VERSIONS;
  if (versions.length === 0) throw new RangeError('option "versions" must not be empty');
  for (const k of Object.keys(opts.snooping ?? {})) {
    if (!(Number(k) >= 0 && Number(k) < count)) throw new RangeError(`option "snooping" names segment ${k}, which is not 0..${count - 1}`);
  }
  const d = new Draft(checkPrefix(opts.prefix));
  const src = nsName(d.prefix, 'src');
  const rly = nsName(d.prefix, 'rly');
  const sw = nsName(d.prefix, 'sw');
  d.ns(src, 'source', IFNAMES.source);
  d.ns(rly, 'relay');
  d.ns(sw, 'switch');
  const [s, rin] = d.link('src-rly', src, IFNAMES.source, rly, IFNAMES.relayInput(0));
  const relay: RelayRole = { ns: rly, inputs: [rin], outputs: [] };
  const outSegments: OutputSegment[] = [];
  for (let k = 0; k < count; k++) {
    const seg = d.nextSegment();
    const bridge = IFNAMES.segmentBridge(k);
    const snoop = opts.snooping?.[k];
    const port = (member: string) => IFNAMES.segmentPort(k, member);
    const member = (ns: string, ifname: string, host: number, id: string, portName: string, linkLocal?: string): Endpoint => {
      const e = endpointOn(ns, ifname, seg, host);
      d.rawLink(id, { ns: sw, ifname: portName }, { ...addressed(e), ...(linkLocal ? { linkLocal } : {}) });
      return e;
    };
    const out = member(rly, IFNAMES.relayOutput(k), SEGMENT_HOSTS.relay, `sw-${k}rly`, port('rly'), 'fe80::2/64');
    relay.outputs.push(out);
    const obsNs = nsName(d.prefix, 'obs', k);
    d.ns(obsNs, 'sink', IFNAMES.sink);
    const observer = member(obsNs, IFNAMES.sink, SEGMENT_HOSTS.observer, `sw-${k}obs`, port('obs'));
    const ports: Record<string, string> = { [rly]: port('rly'), [obsNs]: port('obs') };
    const rcv: Endpoint[] = [];
    for (let j = 0; j < receivers; j++) {
      const ns = nsName(d.prefix, 'rcv', `${k}-${j}`);
      const spec = d.ns(ns, 'sink', IFNAMES.sink);
      const v = versions[j % versions.length]!;
      spec.sysctls[`net.ipv4.conf.${IFNAMES.sink}.force_igmp_version`] = String(v.igmp);
      spec.sysctls[`net.ipv6.conf.${IFNAMES.sink}.force_mld_version`] = String(v.mld);
      ports[ns] = port(`r${j}`);
      rcv.push(member(ns, IFNAMES.sink, SEGMENT_HOSTS.firstReceiver + j, `sw-${k}r${j}`, port(`r${j}`)));
    }
    const querierHost = snoop?.querier === 'below-relay' ? SEGMENT_HOSTS.querierBelow : snoop?.querier === 'above-relay' ? SEGMENT_HOSTS.querierAbove : undefined;
    const own = querierHost === undefined ? undefined : endpointOn(sw, bridge, seg, querierHost);
    d.bridges.push({
      ns: sw,
      name: bridge,
      ports: Object.values(ports),
      mcastSnooping: snoop !== undefined,
      mcastQuerier: own !== undefined,
      ...(snoop ? { mcastIgmpVersion: 3 as const, mcastMldVersion: 2 as const } : {}),
      noFloodPorts: snoop?.noFlood ? rcv.map((_, j) => port(`r${j}`)) : [],
      ...(snoop?.noFlood ? { linkLocalFrom: [port('rly')] } : {}),
      routerPorts: snoop ? [port('rly'), port('obs')] : [],
      ...(own ? { address: own.address, address6: own.address6, linkLocal: `fe80::${querierHost!.toString(16)}/64` } : {}),
      ...(snoop?.mcastTimers ? { mcastTimers: { ...snoop.mcastTimers } } : {}),
    });
    outSegments.push({
      index: k, ns: sw, bridge, relay: out, observer, receivers: rcv, ports,
      ...(own ? { querier: { ip: own.ip, ip6: own.ip6 } } : {}),
    });
  }
  const topo = d.finish('segments', opts, { sources: [s], relays: [relay], sinks: outSegments.flatMap((x) => x.receivers) });
  return { ...topo, segments: outSegments };
}

export const BUILDERS = {
  segments,
  chain,
  switch: switchTopo,
  fanout,
  chain3,
  converge,
  segment,
  ring,
} as const satisfies Record<TopologyKind, (o: FanoutOptions & ConvergeOptions & SegmentsOptions) => Topology>;

/** Builds a topology by kind name (the CLI's entry). */
export function build(kind: TopologyKind, opts: FanoutOptions & ConvergeOptions & SegmentsOptions): Topology {
  return BUILDERS[kind](opts);
}

/** Returns a copy of `topo` with link `id` impaired. Pure. */
export function withNetem(topo: Topology, id: string, netem: NetemSpec): Topology {
  if (!topo.links.some((l) => l.id === id)) throw new RangeError(`link "${id}" not in ${topo.name}`);
  const copy = structuredClone(topo);
  copy.links.find((l) => l.id === id)!.netem = { ...netem };
  return copy;
}
