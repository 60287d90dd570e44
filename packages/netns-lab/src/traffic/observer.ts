// startObserver: runs mcr-observe inside a network namespace: a passive AF_PACKET observer that
// records every lab datagram and every IGMP / MLD message reaching one interface, with the time it
// arrived (CLOCK_MONOTONIC ms, the clock of mcr-send's stamps, mcr-recv's reports and
// process.hrtime). It joins nothing, so it is no listener: it sees what the segment carries.
import { execa } from 'execa';
import { toolPath } from './binaries.js';
import { TrafficToolError } from './errors.js';
import { awaitReady, stopper } from './tool-process.js';
import { checkInt, checkInterface } from './validate.js';

/** A lab datagram (mcr-send's payload, valid) seen on the segment. */
export interface ObservedData {
  t: number;
  kind: 'data';
  group: string;
  port: number;
  stream: number;
  seq: number;
}

/** A group record of an IGMPv3 / MLDv2 report (RFC 3376 4.2.12: 1 IS_IN, 2 IS_EX, 3 TO_IN, 4 TO_EX, 5 ALLOW, 6 BLOCK). */
export interface MembershipRecord {
  type: number;
  group: string;
  sources: string[];
}

/** An IGMP or MLD message seen on the segment. */
export interface ObservedMembership {
  t: number;
  kind: 'igmp' | 'mld';
  src: string;
  dst: string;
  /** query; report (IGMPv1/v2, MLDv1); leave (IGMPv2 leave, MLDv1 done); v3report (IGMPv3, MLDv2). */
  type: 'query' | 'report' | 'leave' | 'v3report';
  version: number;
  /** The group of a query (0.0.0.0 / :: for a general query), report or leave. */
  group?: string;
  maxRespMs?: number;
  records?: MembershipRecord[];
}

export type Observation = ObservedData | ObservedMembership;

/** IGMPv3 / MLDv2 record types. */
export const RECORD = { IS_IN: 1, IS_EX: 2, TO_IN: 3, TO_EX: 4, ALLOW: 5, BLOCK: 6 } as const;

export interface ObserverHandle {
  readonly pid: number | undefined;
  /** SIGTERM, then everything it recorded, in arrival order (idempotent). */
  stop(): Promise<Observation[]>;
}

/** The mcr-observe argument vector (validated). */
export function observerArgs(opts: { interface: string; durationSec?: number }): string[] {
  checkInterface('interface', opts.interface);
  const args = ['--interface', opts.interface];
  if (opts.durationSec !== undefined) args.push('--duration', String(opts.durationSec));
  return args;
}

/** Parses mcr-observe's output: one JSON object per line. */
export function parseObservations(stdout: string): Observation[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Observation);
}

export async function startObserver(opts: { netns: string; interface: string; durationSec?: number; readyTimeoutMs?: number }): Promise<ObserverHandle> {
  const args = ['netns', 'exec', opts.netns, toolPath('mcr-observe'), ...observerArgs(opts)];
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  checkInt('readyTimeoutMs', readyTimeoutMs, 1, 3_600_000);
  const command = ['ip', ...args].join(' ');
  const child = execa('ip', args, { reject: false, stdin: 'ignore', maxBuffer: 1024 * 1024 * 1024 });
  const result = child.then((r) => {
    if (r.exitCode !== 0) throw new TrafficToolError('mcr-observe failed', { command, exitCode: r.exitCode, stderr: String(r.stderr ?? '') }, r.cause);
    return parseObservations(String(r.stdout ?? ''));
  });
  result.catch(() => {});
  await awaitReady(child, result, 'mcr-observe', command, readyTimeoutMs);
  return { pid: child.pid, stop: stopper(child, result) };
}
