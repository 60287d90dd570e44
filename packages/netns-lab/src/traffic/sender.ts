// runSender: runs mcr-send inside a network namespace and returns its JSON report.
import { execa } from 'execa';
import { toolPath } from './binaries.js';
import { parseReport, TrafficToolError } from './errors.js';
import { SENDER_PROCESSES } from './limits.js';
import { MAX_PAYLOAD, MIN_PAYLOAD } from './payload.js';
import { checkInt, checkInterface, checkMulticast, checkOneFamily, checkSeconds, checkStreams, streamArgs, type StreamTarget } from './validate.js';

export interface SenderOptions {
  /** Destinations, all IPv4 or all IPv6; stream ids are their 0-based order. Packets go round robin over them. */
  streams: StreamTarget[];
  /** Aggregate packets per second over all streams; 0 = unthrottled (the default). */
  rate?: number;
  /** Packets per stream. Exclusive with seqList. */
  count?: number;
  /** Seconds to send (decimals allowed). */
  durationSec?: number;
  /** UDP payload bytes, MIN_PAYLOAD..MAX_PAYLOAD; default DEFAULT_PAYLOAD. */
  size?: number;
  /** IPv4 TTL or IPv6 hop limit (multicast and unicast), 1..255; default 16. */
  ttl?: number;
  /** Egress interface for multicast (IP_MULTICAST_IF / IPV6_MULTICAST_IF by ifindex). */
  interface?: string;
  /** Messages per sendmmsg, 1..1024; default 32. */
  batch?: number;
  /** Send exactly these sequence numbers, in this order, on every stream (dups, gaps, reordering). */
  seqList?: readonly number[];
  /** Sequence numbers whose payload gets a flipped byte after the checksum. */
  corrupt?: readonly number[];
  /**
   * Send complete Ethernet/IP/UDP frames through an AF_PACKET socket on `interface` (required)
   * that bypasses the qdisc, instead of a UDP socket: multicast groups only, the interface's MAC
   * and address as source, no fragmentation (the packet must fit the MTU). Same payloads. The
   * frames bypass the qdisc: a netem or tbf qdisc on `interface` does not apply to them.
   * Default false.
   */
  raw?: boolean;
  /**
   * Processes the streams are dealt to, 1..8 (stream i to process i % senders, at most one
   * process per stream), each sending its share of `rate`; one report as from one process. Default 1.
   */
  senders?: number;
  /** Stops the sender early (SIGTERM); the result then covers what was sent so far. */
  signal?: AbortSignal;
}

export interface SenderResult {
  sent: number;
  perStream: number[];
  elapsedNs: number;
  offeredPps: number;
  achievedPps: number;
  /** sendmmsg calls that failed with ENOBUFS/EAGAIN or sent a partial batch (retried). */
  errors: number;
}

/** The mcr-send argument vector for opts (validated), always with --json. */
export function senderArgs(opts: SenderOptions): string[] {
  checkStreams('streams', opts.streams);
  checkOneFamily('streams', opts.streams);
  const args = streamArgs(opts.streams);
  if (opts.rate !== undefined) {
    checkInt('rate', opts.rate, 0, 100_000_000);
    args.push('--rate', String(opts.rate));
  }
  if (opts.count !== undefined && opts.seqList !== undefined) {
    throw new TypeError('count and seqList are exclusive: seqList sets the number of packets per stream');
  }
  if (opts.count !== undefined) {
    checkInt('count', opts.count, 1, Number.MAX_SAFE_INTEGER);
    args.push('--count', String(opts.count));
  }
  if (opts.durationSec !== undefined) {
    checkSeconds('durationSec', opts.durationSec);
    args.push('--duration', String(opts.durationSec));
  }
  if (opts.count === undefined && opts.durationSec === undefined && opts.seqList === undefined && !opts.signal) {
    throw new TypeError('one of count, durationSec, seqList or signal is required, or the sender never stops');
  }
  if (opts.size !== undefined) {
    checkInt('size', opts.size, MIN_PAYLOAD, MAX_PAYLOAD);
    args.push('--size', String(opts.size));
  }
  if (opts.ttl !== undefined) {
    checkInt('ttl', opts.ttl, 1, 255);
    args.push('--ttl', String(opts.ttl));
  }
  if (opts.interface !== undefined) {
    checkInterface('interface', opts.interface);
    args.push('--interface', opts.interface);
  }
  if (opts.batch !== undefined) {
    checkInt('batch', opts.batch, 1, 1024);
    args.push('--batch', String(opts.batch));
  }
  if (opts.seqList !== undefined) {
    if (opts.seqList.length === 0) throw new RangeError('seqList: expected at least one sequence number, got []');
    opts.seqList.forEach((s, i) => checkInt(`seqList[${i}]`, s, 0, Number.MAX_SAFE_INTEGER));
    args.push('--seq-list', opts.seqList.join(','));
  }
  for (const [i, s] of (opts.corrupt ?? []).entries()) {
    checkInt(`corrupt[${i}]`, s, 0, Number.MAX_SAFE_INTEGER);
    args.push('--corrupt', String(s));
  }
  if (opts.raw !== undefined && typeof opts.raw !== 'boolean') {
    throw new TypeError(`raw: expected a boolean, got ${JSON.stringify(opts.raw)}`);
  }
  if (opts.raw) {
    if (opts.interface === undefined) throw new TypeError('raw: needs interface (the AF_PACKET socket sends on one interface)');
    checkMulticast('streams', opts.streams, 'raw frames take their destination MAC from the group');
    args.push('--raw');
  }
  if (opts.senders !== undefined) {
    checkInt('senders', opts.senders, SENDER_PROCESSES.min, SENDER_PROCESSES.max);
    args.push('--senders', String(opts.senders));
  }
  args.push('--json');
  return args;
}

/** Runs mcr-send in netns (`ip netns exec`) and resolves with its report once it exits. */
export async function runSender(opts: SenderOptions & { netns: string }): Promise<SenderResult> {
  const args = ['netns', 'exec', opts.netns, toolPath('mcr-send'), ...senderArgs(opts)];
  const command = ['ip', ...args].join(' ');
  const child = execa('ip', args, { reject: false, stdin: 'ignore' });
  // mcr-send prints its report on SIGTERM too, so an aborted run still returns what it sent.
  const onAbort = (): void => void child.kill('SIGTERM');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  try {
    const r = await child;
    const details = { command, exitCode: r.exitCode, stderr: String(r.stderr ?? '') };
    if (r.exitCode !== 0) throw new TrafficToolError('mcr-send failed', details, r.cause);
    return parseReport<SenderResult>(String(r.stdout ?? ''), details);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
