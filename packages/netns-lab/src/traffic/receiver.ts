// startReceiver: runs mcr-recv inside a network namespace; resolves once it has joined its
// groups (it prints `ready` on stderr), so a sender started afterwards loses nothing to joins.
import { execa } from 'execa';
import { toolPath } from './binaries.js';
import { parseReport, TrafficToolError } from './errors.js';
import { awaitReady, stopper } from './tool-process.js';
import { StreamStatsMax } from './limits.js';
import { checkInt, checkInterface, checkSeconds, checkSource, checkStreams, streamArgs, type StreamTarget } from './validate.js';

export interface ReceiverOptions {
  /** Groups and ports to receive; stream id = 0-based order (matches the sender's order). */
  streams: StreamTarget[];
  /** Interface to join the groups on. */
  interface: string;
  /**
   * Source-specific join (IGMPv3 / MLDv2 INCLUDE {source}): every group is received only from this
   * sender address, of the streams' family. Absent: any-source joins.
   */
  source?: string;
  /** Packets expected per stream: missing = expect - unique (else highest seq + 1 - unique). */
  expect?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  /** Stop after this long without packets, once one has arrived. */
  idleMs?: number;
  /** Receive buffer per stream socket (default 32 MiB); 0 = the kernel's default, as an ordinary receiver has. */
  receiveBufferBytes?: number;
  /** The sender's stream id of streams[0] (default 0; the next ones follow): to receive some of a sender's streams. */
  firstId?: number;
  /** How long to wait for `ready` before giving up; default 10 s. */
  readyTimeoutMs?: number;
}

/** Latency in microseconds (CLOCK_MONOTONIC now - sendNs); null when no valid packet arrived. */
export interface LatencyUs {
  p50: number | null;
  p99: number | null;
  /** The 99.9th percentile: one packet in a thousand waited longer. */
  p999: number | null;
  max: number | null;
}

export interface StreamCounts {
  /** Every datagram read: unique + duplicates + corrupt + foreign. */
  received: number;
  unique: number;
  duplicates: number;
  /** May be negative when more unique sequence numbers arrived than expected. */
  missing: number;
  /** Unique packets whose seq is below the highest seq seen before them. */
  reordered: number;
  /** Short, bad magic, bad length, bad checksum or truncated. */
  corrupt: number;
  /** Valid packets carrying another stream's id: cross-talk. */
  foreign: number;
  latencyUs: LatencyUs;
}

export interface StreamReport extends StreamCounts {
  stream: number;
  group: string;
  port: number;
  /** CLOCK_MONOTONIC ms of the stream's first and last valid packet; null when none arrived. */
  firstMs: number | null;
  lastMs: number | null;
}

export interface ReceiverResult {
  /** CLOCK_MONOTONIC ms right after the joins (the sockets joined their groups). */
  joinedMs: number | null;
  streams: StreamReport[];
  totals: StreamCounts;
}

export interface ReceiverHandle {
  readonly pid: number | undefined;
  /** Settles when mcr-recv exits: at --duration, after --idle-ms, or after stop(). */
  readonly result: Promise<ReceiverResult>;
  /** SIGTERM, then the report (idempotent; returns the same report if it already exited). */
  stop(): Promise<ReceiverResult>;
}

/** The mcr-recv argument vector for opts (validated), always with --json. */
export function receiverArgs(opts: ReceiverOptions): string[] {
  checkStreams('streams', opts.streams);
  checkInterface('interface', opts.interface);
  const args = [...streamArgs(opts.streams), '--interface', opts.interface];
  if (opts.source !== undefined) {
    checkSource('source', opts.source, opts.streams);
    args.push('--source', opts.source);
  }
  if (opts.expect !== undefined) {
    checkInt('expect', opts.expect, 1, StreamStatsMax.seq);
    args.push('--expect', String(opts.expect));
  }
  if (opts.durationSec !== undefined) {
    checkSeconds('durationSec', opts.durationSec);
    args.push('--duration', String(opts.durationSec));
  }
  if (opts.idleMs !== undefined) {
    checkInt('idleMs', opts.idleMs, 1, 86_400_000);
    args.push('--idle-ms', String(opts.idleMs));
  }
  if (opts.receiveBufferBytes !== undefined) {
    checkInt('receiveBufferBytes', opts.receiveBufferBytes, 0, 2 ** 30);
    args.push('--rcvbuf', String(opts.receiveBufferBytes));
  }
  if (opts.firstId !== undefined) {
    checkInt('firstId', opts.firstId, 0, 2 ** 32 - 1);
    args.push('--first-id', String(opts.firstId));
  }
  args.push('--json');
  return args;
}

export async function startReceiver(opts: ReceiverOptions & { netns: string }): Promise<ReceiverHandle> {
  const args = ['netns', 'exec', opts.netns, toolPath('mcr-recv'), ...receiverArgs(opts)];
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  checkInt('readyTimeoutMs', readyTimeoutMs, 1, 3_600_000);
  const command = ['ip', ...args].join(' ');
  const child = execa('ip', args, { reject: false, stdin: 'ignore' });

  const result: Promise<ReceiverResult> = child.then((r) => {
    const details = { command, exitCode: r.exitCode, stderr: String(r.stderr ?? '') };
    if (r.exitCode !== 0) throw new TrafficToolError('mcr-recv failed', details, r.cause);
    return parseReport<ReceiverResult>(String(r.stdout ?? ''), details);
  });
  // Marks the promise handled: callers that only use stop() must not see an unhandled rejection.
  result.catch(() => {});

  // Wait for `ready`, or for an early exit (bad interface, join failure), or the timeout.
  await awaitReady(child, result, 'mcr-recv', command, readyTimeoutMs);
  return { pid: child.pid, result, stop: stopper(child, result) };
}
