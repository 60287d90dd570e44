// The contract every relay under test implements, so scenarios and benchmarks can swap the
// in-kernel references (smcroute, the tc mirror), the naive userspace baseline (socat), the direct
// wire and a relay plugged in from above the lab.
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

/**
 * The TTL (IPv6: hop limit) of the lab's packets: what its senders send with and what every relay that
 * sets one (mcr, socat) gives relayed packets. One value for all, so relays are compared on equal
 * terms; above the hops of any topology (at most three relays in a row), and lower than mcr's own
 * default (DEFAULTS.ttl, meant for real networks) so that a packet the lab leaks dies out soon.
 */
export const LAB_TTL = 8;

export interface RelayStartOptions {
  /** Which relay namespace of the topology (`topo.relays[i]`); default 0. */
  relay?: number;
  /**
   * IP version of every stream (input and output groups alike); default: the family of the first
   * stream's group. A stream of the other family is refused with a message naming it.
   */
  family?: AddressFamily;
  /** TTL (IPv6: hop limit) of relayed packets; default LAB_TTL. */
  ttl?: number;
  /**
   * Whether the relay joins its input groups on the input interface (IGMP for IPv4, MLD for IPv6).
   * false is the negative control: behind a snooping bridge nothing then arrives. socat:
   * ip-add-membership / ipv6-join-group (default true); kernel: smcroute `mgroup` lines (default:
   * only when the topology has a snooping switch, the one place kernel routing needs them); a
   * plugged-in relay: its own way of joining.
   */
  igmpJoin?: boolean;
}

/**
 * The baselines the lab runs itself, stated once:
 * - `socat`: one socat per (stream, output), with SOCAT_BUFFER_BYTES of receive room and quiet logs;
 * - `socat-default`: the same command on the kernel's default socket buffers, as an untuned socat runs;
 * - `kernel-mfc`: kernel multicast routing (smcroute), where the kernel has it;
 * - `kernel-tc`: a clsact ingress u32 match per stream with `mirred egress mirror` to each output,
 *   which needs no multicast routing;
 * - `direct`: a wire in place of a relay (every input frame redirected, unchanged, to the outputs):
 *   the ceiling of sender and receiver on this machine;
 * - `kernel`: a request, not a relay: `kernel-mfc` where the kernel routes multicast of the family,
 *   else `kernel-tc` (resolveRelay in availability.ts).
 * A relay under development is not one of them: the package above the lab plugs it in (RelayPlugin).
 */
export const BASELINE_NAMES = ['socat', 'socat-default', 'kernel', 'kernel-mfc', 'kernel-tc', 'direct'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];
/** A baseline that runs: every name but the `kernel` request. */
export type ConcreteBaselineName = Exclude<BaselineName, 'kernel'>;

/** How tables and results files name each baseline. */
export const BASELINE_TITLES: Readonly<Record<BaselineName, string>> = {
  socat: 'socat',
  'socat-default': 'socat-default',
  // `kernel` stands in results written before the in-kernel family had two members: it was smcroute.
  kernel: 'kernel (mfc)',
  'kernel-mfc': 'kernel (mfc)',
  'kernel-tc': 'kernel (tc)',
  direct: 'direct',
};

export const isBaselineName = (name: string): name is BaselineName => (BASELINE_NAMES as readonly string[]).includes(name);

/** A baseline's title for tables (`kernel (tc)`); any other name as it is. */
export const relayTitle = (name: string): string => (isBaselineName(name) ? BASELINE_TITLES[name] : name);

/** The in-kernel references (and `kernel`, as results name smcroute). */
export const isKernelRelay = (name: string): boolean => name === 'kernel' || name === 'kernel-mfc' || name === 'kernel-tc';

/**
 * Whether a baseline can send a stream to another group and port. The in-kernel references and the
 * direct wire pass frames as they came: their streams keep group and port.
 */
export const baselineRewrites = (name: BaselineName): boolean => name === 'socat' || name === 'socat-default';

/**
 * Relays whose forwarding runs in softirq context (on veth: the sender's), which no process accounts
 * for: their relay CPU is null, and only the whole machine's CPU charges them.
 */
export const relayInSoftirq = (name: string): boolean => isKernelRelay(name) || name === 'direct';

/**
 * A relay running in a lab, baseline or plugged in. `O` is what its start takes: a plugged-in
 * relay extends RelayStartOptions with its own settings; the baselines ignore fields they do not know.
 */
export interface RelayUnderTest<O extends RelayStartOptions = RelayStartOptions> {
  readonly name: string;
  /** Name for tables: relayTitle(name), or `socat-shared-port` for the negative control. */
  readonly label: string;
  /** Resolves once the relay forwards (joined/bound/configured). */
  start(lab: Lab, streams: StreamSpec[], opts?: O): Promise<void>;
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
