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
  /** mcr only: how many of the streams its config file holds (default all); the caller adds the rest at run time. */
  configStreams?: number;
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
  /** A worker that dies stays dead: chaos's `--inject-bug no-restart`. */
  noWorkerRestart?: boolean;
  /** The state file is never written: chaos's `--inject-bug forget-state`. */
  forgetState?: boolean;
}

/**
 * The relays the lab can put under test, stated once:
 * - `mcr`: the relay under development;
 * - `socat`: one socat per (stream, output), with mcr's receive room (SOCAT_BUFFER_BYTES) and quiet logs;
 * - `socat-default`: the same command on the kernel's default socket buffers, as an untuned socat runs;
 * - `kernel-mfc`: kernel multicast routing (smcroute), where the kernel has it;
 * - `kernel-tc`: a clsact ingress u32 match per stream with `mirred egress mirror` to each output,
 *   which needs no multicast routing;
 * - `direct`: a wire in place of a relay (every input frame redirected, unchanged, to the outputs):
 *   the ceiling of sender and receiver on this machine;
 * - `kernel`: a request, not a relay: `kernel-mfc` where the kernel routes multicast of the family,
 *   else `kernel-tc` (resolveRelay in availability.ts).
 */
export const RELAY_NAMES = ['mcr', 'socat', 'socat-default', 'kernel', 'kernel-mfc', 'kernel-tc', 'direct'] as const;
export type RelayName = (typeof RELAY_NAMES)[number];
/** A relay that runs: every name but the `kernel` request. */
export type ConcreteRelayName = Exclude<RelayName, 'kernel'>;

/** How tables and results files name each relay. */
export const RELAY_TITLES: Readonly<Record<RelayName, string>> = {
  mcr: 'mcr',
  socat: 'socat',
  'socat-default': 'socat-default',
  // `kernel` stands in results written before the in-kernel family had two members: it was smcroute.
  kernel: 'kernel (mfc)',
  'kernel-mfc': 'kernel (mfc)',
  'kernel-tc': 'kernel (tc)',
  direct: 'direct',
};

/** A relay's title for tables (`kernel (tc)`); an unknown name as it is. */
export const relayTitle = (name: string): string => RELAY_TITLES[name as RelayName] ?? name;

/** The in-kernel references (and `kernel`, as results name smcroute). */
export const isKernelRelay = (name: string): boolean => name === 'kernel' || name === 'kernel-mfc' || name === 'kernel-tc';

/**
 * Whether the relay can send a stream to another group and port. The in-kernel references and the
 * direct wire pass frames as they came: their streams keep group and port.
 */
export const relayRewrites = (name: RelayName): boolean => name === 'mcr' || name === 'socat' || name === 'socat-default';

/**
 * Relays whose forwarding runs in softirq context (on veth: the sender's), which no process accounts
 * for: their relay CPU is null, and only the whole machine's CPU charges them.
 */
export const relayInSoftirq = (name: string): boolean => isKernelRelay(name) || name === 'direct';

export interface RelayUnderTest {
  readonly name: ConcreteRelayName;
  /** Name for tables: relayTitle(name), or `socat-shared-port` for the negative control. */
  readonly label: string;
  /** Resolves once the relay forwards (joined/bound/configured). */
  start(lab: Lab, streams: StreamSpec[], opts?: RelayStartOptions): Promise<void>;
  /** Idempotent; resolves after the relay's processes have exited. */
  stop(): Promise<void>;
  /**
   * CPU seconds (user + system) used so far by the relay's processes and their descendants, from
   * /proc/<pid>/stat. `null` when the relay does its work in softirq context, which no process
   * accounts for (relayInSoftirq).
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
