// The public types of relay-native, exactly as docs/architecture.md states them.

import type { AddressFamily } from './ip-address.js';

/** The PACKET_FANOUT modes a worker's group may use (the kernel's PACKET_FANOUT_HASH, _CPU, _LB). */
export const NATIVE_FANOUT_MODES = ['hash', 'cpu', 'lb'] as const;
export type FanoutMode = (typeof NATIVE_FANOUT_MODES)[number];
export type { AddressFamily } from './ip-address.js';
/** How an output's TTL (hop limit) is set; see OutputSpec.ttlMode. */
export const NATIVE_TTL_MODES = ['decrement', 'set'] as const;
export type TtlMode = (typeof NATIVE_TTL_MODES)[number];
/** How a ListenerGate reads its sources: the IGMPv3 / MLDv2 router filter modes (RFC 3376 §6.2.1, RFC 3810 §7.2.1). */
export const NATIVE_LISTENER_MODES = ['include', 'exclude'] as const;
export type ListenerMode = (typeof NATIVE_LISTENER_MODES)[number];

/**
 * What keeps the frames the host itself sends on the input (PACKET_OUTGOING) out of a worker's ring:
 * - 'socket-option': no fanout group; the socket's PACKET_IGNORE_OUTGOING.
 * - 'fanout-flag': the group's PACKET_FANOUT_FLAG_IGNORE_OUTGOING (Linux 6.7), probed at start and in effect.
 * - 'filter': the ring's BPF filter drops them (pkt_type PACKET_OUTGOING), because the flag was refused,
 *   has no effect (a kernel before 6.7 accepts it and ignores it) or could not be probed.
 */
export type IgnoreOutgoingMode = 'socket-option' | 'fanout-flag' | 'filter';

/**
 * The probe behind a fanout worker's IgnoreOutgoingMode: an outgoing frame sent at start did not reach a
 * group that asked for the flag ('honoured'), did ('ignored'), or could not be sent or seen
 * ('inconclusive': interface down, not Ethernet); 'refused': the kernel refused the flag (no probe);
 * 'none': no fanout group.
 */
export type OutgoingProbe = 'none' | 'honoured' | 'ignored' | 'inconclusive' | 'refused';

/**
 * Who listens to one group on an output's segment, as the data plane applies it to each frame (the
 * listener state itself is the relay's: IGMP/MLD router side).
 */
export interface ListenerGate {
  /**
   * A destination of the output (after offset mapping for a range rule's output): the output's
   * `group`, or one within its group/groupPrefixLength; so of the rule's family, and multicast.
   */
  group: string;
  /** 'include': forward only frames whose IP source is in `sources`; 'exclude': forward unless it is. */
  mode: ListenerMode;
  /**
   * Unicast addresses of the rule's family, each once (compared as addresses, whatever the
   * spelling), at most NATIVE_LIMITS.maxListenerSourcesPerGate. May be empty: 'exclude' [] admits
   * any source, 'include' [] none.
   */
  sources: string[];
}

export interface OutputSpec {
  interface: string; // output interface name (for errors and counters)
  /**
   * 0: the interface is absent right now. The output stays in the table (its counters keep their
   * place) but nothing is sent on it; each frame not sent for that reason counts in `outputAbsent`.
   */
  ifindex: number;
  /**
   * Destination, of the rule's family (IPv4 or IPv6). Multicast (224.0.0.0/4, ff00::/8): AF_PACKET
   * fast path (rewritten header). Unicast: a UDP (UDP6) socket bound to the interface.
   */
  group: string;
  /**
   * Only on a range rule's multicast output, and then equal to the rule's groupPrefixLength: the
   * destination is this output's base + (input destination - rule's base), "offset mapping"
   * (239.1.0.7 -> 239.9.0.7 for 239.1.0.0/24 -> 239.9.0.0/24); host bits of `group` must be 0.
   * Absent (on any rule): every frame of the rule goes to `group`.
   */
  groupPrefixLength?: number;
  port: number; // 1..65535
  ttl: number; // 1..255: the IPv4 TTL, or the IPv6 hop limit (ttlMode applies to both)
  /**
   * Address of the output interface, of the rule's family: source of the rewritten packet (and the
   * bound address of a unicast output's socket). For IPv6 the relay picks the interface's global
   * address, or its fe80:: link-local one for link-local scope groups (ff02::/16) and when it has
   * no global one.
   */
  sourceAddress: string;
  sourceMac: string; // MAC of the output interface, 'aa:bb:cc:dd:ee:ff'
  /**
   * 'decrement' (default): out TTL = min(ttl, input TTL - 1), and an input TTL <= 1 is not sent on
   * this output (counted once per frame in `ttlExpired`). 'set': out TTL = ttl whatever the input
   * TTL: loop-unsafe (a copy that comes back is relayed again).
   */
  ttlMode?: TtlMode;
  /**
   * Absent: every frame is sent (no listener tracking). Present: receiver-driven: a frame goes out
   * only if its destination on this output (the mapped group) has a gate here and the gate admits
   * the frame's IP source; each frame held back counts in the output's and the worker's
   * `notListened`. Present and empty: nothing is sent on this output. Only on a multicast output; at
   * most NATIVE_LIMITS.maxListenerGroupsPerOutput gates, one per group, and at most
   * NATIVE_LIMITS.maxListenerEntriesPerTable gates and sources in the whole table. A table that
   * changes only gates keeps every counter (as any swap that keeps rule ids and output places).
   */
  listeners?: ListenerGate[];
}

export interface RuleSpec {
  id: string;
  /** input: destination multicast group, IPv4 or IPv6 (the base of a range with groupPrefixLength). */
  group: string;
  /**
   * Absent: the rule matches exactly `group`. Present, 8..32 (IPv4) or 16..128 (IPv6): every
   * destination in group/groupPrefixLength (host bits of `group` must be 0). An exact rule beats a
   * range rule; among range rules the longest prefix wins. At most
   * NATIVE_LIMITS.maxRangeRulesPerTable range rules (prefix shorter than the address) per table.
   */
  groupPrefixLength?: number;
  port: number; // input: destination UDP port
  /** input: optional source address, same family as `group`. A source-specific rule beats a wildcard one. */
  source?: string;
  /** At most NATIVE_LIMITS.maxOutputsPerRule, every one of the rule's family. */
  outputs: OutputSpec[];
  /**
   * NATIVE_LIMITS.minVlanId..maxVlanId (1..4095). Absent: the rule matches untagged frames only.
   * Present: only frames tagged with that VLAN id, whether the tag is in the frame bytes or in the
   * ring's metadata (tp_vlan_tci with TP_STATUS_VLAN_VALID, as veth delivers them; metadata first). A
   * priority tag (VLAN id 0, 802.1p) is no VLAN, as the kernel's stack takes it: a frame with only
   * priority tags matches as untagged, and one outside an 802.1Q tag leaves that tag's VLAN.
   */
  vlan?: number;
  /**
   * 1..NATIVE_LIMITS.maxPps. Absent: unlimited. A token bucket per rule per worker (burst =
   * max(1, maxPps/10) frames, i.e. 100 ms); frames above it are dropped, counted in the worker's
   * and the rule's `rateLimited`.
   */
  maxPps?: number;
}

/** Facts about the host that every table of a worker is checked against. */
export interface TableContext {
  /**
   * MAC addresses of every interface of this host (namespace), at most NATIVE_LIMITS.maxOwnMacs. A
   * frame whose Ethernet source MAC is one of them is never relayed: counted `ownFrames`. [] (the
   * default) disables the check.
   */
  ownMacs: string[];
  /**
   * Ids of rules the tc engine on this worker's input forwards (TcEngine.setRules got them): the
   * worker leaves their frames whose layout the program rewrites in place to it (counted
   * `fastPath`) and forwards the rest (a tag in the bytes, IPv4 options, IPv6 extension headers,
   * padding). Default []: the worker forwards every rule's frames.
   */
  fastPathRules?: string[];
}

export interface WorkerOptions {
  interface: string;
  ifindex: number;
  fanout: { mode: FanoutMode; id?: number } | null; // null: no fanout group (diagnosis, negative control)
  receiveBufferBytes?: number; // default 8 MiB, SO_RCVBUFFORCE
  batchSize?: number; // default 64
  /**
   * A fixed window: after a partial batch, wait this long (µs) for more frames before draining
   * again, whatever the rate. Default 0: no fixed window (the adaptive wait below applies). When
   * above 0 it replaces the adaptive wait and `latencyBudgetMicros` is ignored.
   */
  coalesceMicros?: number;
  /**
   * Adaptive coalescing (used when `coalesceMicros` is 0), default
   * WORKER_DEFAULTS.latencyBudgetMicros, 0..NATIVE_LIMITS.maxLatencyBudgetMicros. The loop measures
   * the arrival rate and, after a partial batch, sleeps only when a wait of at most this many µs
   * (the sleep's measured overshoot included) is expected to gather at least two frames; otherwise
   * it blocks and wakes on the next frame. So at low rates nothing is added to the latency, and at
   * moderate rates one wake-up serves several frames. 0: never wait (a wake-up per frame).
   */
  latencyBudgetMicros?: number;
  /**
   * Default false. true: PACKET_ADD_MEMBERSHIP with PACKET_MR_ALLMULTI on the ring socket, so a
   * NIC's multicast filter passes groups nobody joined (passive mode). Held while the worker runs.
   */
  allMulticast?: boolean;
  /**
   * TEST-ONLY fault switch, default 0, 0..NATIVE_LIMITS.maxInjectedWorkNanos: busy work of about
   * this many ns per frame read (CLOCK_MONOTONIC spin), so a gate can prove it catches a
   * regression of known size. Never set it in production.
   */
  injectedWorkNanos?: number;
  /**
   * TEST-ONLY fault switch, default false: act as a kernel before Linux 6.7, on which
   * PACKET_FANOUT_FLAG_IGNORE_OUTGOING has no effect. The worker joins its fanout group (and its probe
   * group) without the flag, so the probe sees the host's own frames reach the group and the ring's
   * filter must drop them (`ignoreOutgoing` 'filter'). Never set it in production.
   */
  fanoutIgnoreOutgoingUnsupported?: boolean;
}

export interface OutputCounters {
  packets: number;
  bytes: number;
  txErrors: number;
  notListened: number; // frames not sent on this output because its listeners did not want them
}

export interface RuleCounters {
  id: string;
  matched: number;
  bytes: number;
  rateLimited: number; // matched frames dropped by maxPps (part of matched)
  outputs: OutputCounters[];
}

/**
 * Counting rule: framesSeen = matched + noMatch + malformed + fragments + ownFrames + badChecksum
 *   + extensionHeaders + fastPath.
 * ttlExpired and rateLimited are parts of matched.
 */
export interface WorkerCounters {
  framesSeen: number;
  matched: number;
  noMatch: number;
  malformed: number;
  fragments: number;
  forwarded: number;
  txErrors: number;
  kernelPackets: number;
  kernelDrops: number;
  ownFrames: number; // frames from this host's own interfaces (loop guard): dropped
  badChecksum: number; // IPv4 header checksum wrong: dropped
  /**
   * IPv6 frames with an extension header the relay does not walk (Routing, AH, ESP, unknown ones,
   * or more Hop-by-Hop/Destination Options headers than it walks): dropped. Hop-by-Hop and
   * Destination Options headers are walked; a Fragment header counts in `fragments`.
   */
  extensionHeaders: number;
  ttlExpired: number; // matched frames with TTL <= 1 not sent on a decrementing output (part of matched)
  rateLimited: number; // matched frames dropped by maxPps (part of matched)
  outputAbsent: number; // (frame, output) pairs not sent because the output's ifindex is 0
  notListened: number; // (frame, output) pairs not sent because the output's listeners did not want them
  /**
   * Frames of a fast-path rule (TableContext.fastPathRules) in a layout the tc engine rewrites in
   * place: its program decides on them and counts them (matched, badChecksum, ...), this worker
   * neither sends nor counts them further.
   */
  fastPath: number;
  rules: RuleCounters[];
}

export type ParsedFrame =
  | {
      kind: 'udp';
      family: AddressFamily;
      vlan: number | null; // the in-frame 802.1Q tag's VLAN id as it is (0: a priority tag); null: no tag
      source: string;
      group: string;
      sourcePort: number;
      port: number;
      ttl: number; // IPv4 TTL or IPv6 hop limit
      payloadOffset: number;
      payloadLength: number;
    }
  | { kind: 'fragment' } // IPv4 MF/offset, or an IPv6 Fragment header
  | { kind: 'not-ip' } // neither IPv4 nor IPv6 (after at most one 802.1Q tag)
  | { kind: 'not-udp' }
  | { kind: 'extension-header'; nextHeader: number } // an IPv6 extension header that is not walked
  | { kind: 'malformed'; reason: string };

export interface BenchHotPathOptions {
  frames: Buffer[];
  rules: RuleSpec[]; // no sockets are opened: every output is rewritten, whatever its ifindex (0 included)
  iterations: number;
  /**
   * Default false: the frames' UDP checksums are taken as complete (updated incrementally, or none
   * when 0). true: as frames from veth or a local sender (TP_STATUS_CSUMNOTREADY): each copy's UDP
   * checksum is computed over the payload, the relay's costlier case.
   */
  partialChecksum?: boolean;
}

export interface BenchHotPathResult {
  nsPerPacket: number;
  matched: number;
}

/**
 * How the tc engine's program sits on an input's ingress: 'tcx' (a tcx link, Linux 6.6+: the kernel
 * detaches it when the relay's process ends, however it ends) or 'cls_bpf' (a clsact direct-action
 * filter: it outlives a killed relay; a stale one of ours is removed before attaching).
 */
export type TcAttachMode = 'tcx' | 'cls_bpf';

/** What the kernel offers the tc engine, probed (TcEngine.probe()). */
export interface TcSupport {
  clsBpf: boolean; // BPF_PROG_TYPE_SCHED_CLS loads
  tcx: boolean; // tcx links (else the engine attaches a clsact cls_bpf filter)
  jit: boolean; // net.core.bpf_jit_enable
  helpers: boolean; // every helper the program calls
  missing: string[]; // what is absent, in words
}

export interface TcEngineOptions {
  interface: string;
  ifindex: number;
  /**
   * TEST-ONLY fault switch, default 0, 0..TC_LIMITS.maxInjectedCostLoops: iterations of an empty
   * bpf_loop per frame in the program, so a gate can prove it catches a slower fast path. Never set
   * it in production.
   */
  injectedCostLoops?: number;
  /**
   * TEST-ONLY: attach as on a kernel without tcx links (before Linux 6.6): a clsact cls_bpf filter,
   * which outlives its process, so attach() first removes a stale one of ours. Never set it in production.
   */
  testOnlyNoTcx?: boolean;
}

/**
 * The tc engine's counters in the packet engine's shape. Frames the program leaves to the packet
 * engine (a layout it does not rewrite in place) count only in `deferred`; malformed, fragments,
 * extensionHeaders, kernelPackets, kernelDrops and notListened stay 0 (those frames are deferred,
 * and gated outputs are the packet engine's).
 */
export interface TcCounters extends WorkerCounters {
  deferred: number;
  rewriteErrors: number; // a helper failed mid-rewrite: the frame was dropped
}

/** An IGMP (IPv4) or MLD (IPv6) packet that arrived on a ListenerSocket's interface. */
export interface ListenerPacket {
  family: AddressFamily;
  source: string; // the IP source, canonical text
  destination: string; // the IP destination, canonical text
  /**
   * The IGMP message (after the IPv4 header and its options), or the ICMPv6 message (after the
   * Hop-by-Hop header, if any), up to the IP length: never the padding of a short Ethernet frame. Its
   * own checksum is not checked here (the codecs do).
   */
  payload: Buffer;
  hopLimit: number; // IPv4 TTL / IPv6 hop limit
  routerAlert: boolean; // an IPv4 Router Alert option, or an IPv6 Hop-by-Hop Router Alert (any value)
  sourceMac: string; // 'aa:bb:cc:dd:ee:ff'
}

export interface ListenerSocketOptions {
  ifindex: number;
  interfaceName: string; // for errors
  family: AddressFamily; // 'ipv4': IGMP; 'ipv6': MLD (ICMPv6 types 130, 131, 132, 143)
  /** Called on the JS thread for every packet that passed the checks. An exception it throws is rethrown as an uncaught exception. */
  onPacket: (packet: ListenerPacket) => void;
  /** A receive error (a NativeError: ENETDOWN while the link is down...). The socket keeps running where it can. */
  onError?: (error: Error) => void;
}

/**
 * received: packets the kernel's filter passed and the reader read; droppedMalformed (the IP layer
 * does not hold together: truncated, a wrong IPv4 header checksum, a fragment, bad options...) and
 * droppedBacklog (the JS thread was more than a queue's length behind) are parts of it, the rest
 * reached onPacket. kernelDrops: packets the socket's buffer had no room for (PACKET_STATISTICS).
 * receiveErrors: errors of the receive path, each also passed to onError when there is one (and room in
 * the queue). sent / sendErrors: send() calls.
 */
export interface ListenerCounters {
  received: number;
  droppedMalformed: number;
  droppedBacklog: number;
  receiveErrors: number;
  kernelDrops: number;
  sent: number;
  sendErrors: number;
}

/** A UDP datagram to a DatagramSocket's group and port, as it arrived on the socket's interface. */
export interface Datagram {
  family: AddressFamily;
  source: string; // the IP source, canonical text
  sourcePort: number;
  destination: string; // the group, canonical text
  payload: Buffer; // the UDP payload, up to the UDP length
  hopLimit: number; // IPv4 TTL / IPv6 hop limit as it arrived
  sourceMac: string; // 'aa:bb:cc:dd:ee:ff'
}

export interface DatagramSocketOptions {
  ifindex: number;
  interfaceName: string; // for errors
  family: AddressFamily;
  group: string; // a multicast group of the family
  port: number;
  /** Called on the JS thread for every datagram that passed the checks. An exception it throws is rethrown as an uncaught exception. */
  onDatagram: (datagram: Datagram) => void;
  /** A receive error (a NativeError: ENETDOWN while the link is down...). The socket keeps running where it can. */
  onError?: (error: Error) => void;
}

/** As ListenerCounters: received (with its parts droppedMalformed, droppedBacklog), kernelDrops, receiveErrors, sent, sendErrors. */
export type DatagramCounters = ListenerCounters;
