// The contract every relay under test implements, so scenarios and benchmarks can swap the
// in-kernel reference (smcroute), the naive userspace baseline (socat) and mcr.
import type { AddressFamily, Lab } from '../topology/index.js';

export interface StreamSpec {
  /** Input multicast group (IPv4, or IPv6 without brackets) and UDP port, as sent by the source. */
  group: string;
  port: number;
  /** Output group and port the relay sends to (the kernel relay cannot rewrite them: must equal group/port). */
  outGroup: string;
  outPort: number;
  /** Index into `relay.inputs` where the stream arrives; default 0 (converge: source m feeds input m). */
  input?: number;
  /** Indexes into `relay.outputs` the stream is sent to; default all of them. */
  outputs?: number[];
}

export interface RelayStartOptions {
  /** Which relay namespace of the topology (`topo.relays[i]`); default 0. */
  relay?: number;
  /**
   * IP version of every stream (input and output groups alike); default: the family of the first
   * stream's group. A stream of the other family is refused with a message naming it.
   */
  family?: AddressFamily;
  /** TTL (IPv6: hop limit) of relayed packets; default 8. */
  ttl?: number;
  /** mcr only. */
  workers?: number;
  fanoutMode?: 'hash' | 'cpu' | 'lb' | 'off';
  /**
   * Whether the relay joins its input groups on the input interface (IGMP for IPv4, MLD for IPv6).
   * false is the negative control: behind a snooping bridge nothing then arrives. mcr: its config's
   * `igmp.join` (default true); socat: ip-add-membership / ipv6-join-group (default true); kernel:
   * smcroute `mgroup` lines (default: only when the topology has a snooping switch, the one place
   * kernel routing needs them).
   */
  igmpJoin?: boolean;
  /**
   * mcr only: the relay's documented test-only switches (its config's `testOnly` section), for the
   * negative controls that prove a check can fail. Never set in a measurement of mcr as users run it.
   */
  testOnly?: McrTestOnly;
  /** mcr only: its config's `dataPlane` section (absent: mcr's defaults, as users run it). */
  dataPlane?: McrDataPlane;
}

/** The pacing fields of mcr's `dataPlane` config section (its README documents them). */
export interface McrDataPlane {
  /** A fixed wait after every partial batch, us (replaces the adaptive wait when > 0). */
  coalesceMicros?: number;
  /** The adaptive wait's budget, us. */
  latencyBudgetMicros?: number;
}

export interface McrTestOnly {
  /** Turns off the loop guard (own-frame recognition and TTL decrement): `--inject-bug no-loop-guard`. */
  disableLoopGuard?: boolean;
  /** Busy work of about this many ns per frame in every data-plane worker (0..100000): the gate's `--inject-regression`. */
  injectedWorkNanos?: number;
}

/** The relays the lab can put under test, stated once. */
export const RELAY_NAMES = ['mcr', 'socat', 'kernel'] as const;
export type RelayName = (typeof RELAY_NAMES)[number];

export interface RelayUnderTest {
  readonly name: RelayName;
  /** Name for tables: `mcr`, `socat`, `socat-shared-port`, `kernel`. */
  readonly label: string;
  /** Resolves once the relay forwards (joined/bound/configured). */
  start(lab: Lab, streams: StreamSpec[], opts?: RelayStartOptions): Promise<void>;
  /** Idempotent; resolves after the relay's processes have exited. */
  stop(): Promise<void>;
  /**
   * CPU seconds (user + system) used so far by the relay's processes and their descendants, from
   * /proc/<pid>/stat. `null` when the relay does its work in softirq context, which no process
   * accounts for (the kernel relay).
   */
  cpuSeconds(): Promise<number | null>;
}

/** Resolved stream: the endpoints it uses in the relay namespace. */
export interface ResolvedStream extends StreamSpec {
  family: AddressFamily;
  inIfname: string;
  /** Output interfaces with their address in the stream's family. */
  outs: { ifname: string; ip: string }[];
}
