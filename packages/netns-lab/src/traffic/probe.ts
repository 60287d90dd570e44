// Wrappers around mcr-probe: what a namespace's kernel offers, asked of the kernel itself rather
// than read from a kernel version or a config file. They create no namespace: the caller passes a
// throwaway one, because MRT_INIT briefly makes the probe its namespace's multicast router and the
// fanout probe sends frames out of the interface it is given.
import { execa } from 'execa';
import { checkFamily } from '../topology/address-plan.js';
import type { AddressFamily } from '../topology/types.js';
import { toolPath } from './binaries.js';
import { parseReport, TrafficToolError } from './errors.js';
import { TIMER_PROBE } from './limits.js';
import { checkInt, checkInterface } from './validate.js';

/** Whether the kernel has multicast routing (MRT_INIT / MRT6_INIT) in that namespace. */
export interface MrouteProbe {
  family: AddressFamily;
  /** true also when another process already is the namespace's mrouter (EADDRINUSE). */
  available: boolean;
  /** When not available: the errno name, e.g. 'ENOPROTOOPT' (CONFIG_IP_MROUTE / CONFIG_IPV6_MROUTE unset). */
  errno?: string;
  message?: string;
}

/** The real length of clock_nanosleep(CLOCK_MONOTONIC, requestedUs), count times, with 1 ns timer slack. */
export interface TimerProbe {
  requestedUs: number;
  count: number;
  medianUs: number;
  p99Us: number;
  minUs: number;
  maxUs: number;
}

export interface TimerProbeOptions {
  /** Sleep length asked for, 1..1_000_000 us; default 50. */
  micros?: number;
  /** Sleeps measured, 1..100_000; default 1000. */
  count?: number;
}

/** Whether PACKET_FANOUT_FLAG_IGNORE_OUTGOING (Linux 6.7+) keeps the host's own frames from a fanout group. */
export interface FanoutIgnoreOutgoingProbe {
  /** setsockopt(PACKET_FANOUT) with the flag succeeded (older kernels accept it too, silently). */
  accepted: boolean;
  /**
   * true: the group saw none of the outgoing frames a plain AF_PACKET socket saw; false: it saw
   * them (or the flag was refused); null: the control saw nothing either (e.g. the interface is down).
   */
  effective: boolean | null;
  framesSent: number;
  outgoingSeenByGroup: number;
  outgoingSeenByControl: number;
  /** When not accepted: the errno name. */
  errno?: string;
  /** Why effective is false or null. */
  message?: string;
}

async function runProbe<T>(args: string[], netns?: string): Promise<T> {
  const [cmd, argv] = netns === undefined ? [toolPath('mcr-probe'), args] : ['ip', ['netns', 'exec', netns, toolPath('mcr-probe'), ...args]];
  const command = [cmd, ...argv].join(' ');
  const r = await execa(cmd, argv, { reject: false, stdin: 'ignore' });
  const details = { command, exitCode: r.exitCode, stderr: String(r.stderr ?? '') };
  if (r.exitCode !== 0) throw new TrafficToolError('mcr-probe failed', details, r.cause);
  return parseReport<T>(String(r.stdout ?? ''), details);
}

function checkNamespace(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('/')) {
    throw new TypeError(`${name}: expected a network namespace name, got ${JSON.stringify(value)}`);
  }
}

/** Asks the kernel of namespace `ns` (a throwaway one) whether it has `family` multicast routing. */
export async function probeMroute(ns: string, family: AddressFamily): Promise<MrouteProbe> {
  checkNamespace('ns', ns);
  checkFamily('family', family);
  return runProbe<MrouteProbe>(['mroute', '--family', family], ns);
}

/** Measures how long short sleeps really last on this machine (clocks are not per namespace: runs here). */
export async function probeTimer(opts: TimerProbeOptions = {}): Promise<TimerProbe> {
  const micros = opts.micros ?? TIMER_PROBE.defaultMicros;
  const count = opts.count ?? TIMER_PROBE.defaultCount;
  checkInt('micros', micros, TIMER_PROBE.minMicros, TIMER_PROBE.maxMicros);
  checkInt('count', count, TIMER_PROBE.minCount, TIMER_PROBE.maxCount);
  return runProbe<TimerProbe>(['timer', '--micros', String(micros), '--count', String(count)]);
}

/**
 * Whether a PACKET_FANOUT group on `ifname` in namespace `ns` (a throwaway one; the interface must
 * be up) is spared the frames the host transmits when it sets PACKET_FANOUT_FLAG_IGNORE_OUTGOING.
 * The probe sends a few frames of a local experimental EtherType out of `ifname`.
 */
export async function probeFanoutIgnoreOutgoing(ns: string, ifname: string): Promise<FanoutIgnoreOutgoingProbe> {
  checkNamespace('ns', ns);
  checkInterface('ifname', ifname);
  return runProbe<FanoutIgnoreOutgoingProbe>(['fanout-ignore-outgoing', '--interface', ifname], ns);
}
