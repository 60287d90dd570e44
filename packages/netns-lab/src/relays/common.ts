// Helpers shared by the relay adapters: resolving streams against the lab, spawning a child in a
// namespace and stopping it. CPU accounting lives in cpu.ts.
import { isIP } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { endpointIp, type AddressFamily, type Lab, type RelayRole } from '../topology/index.js';
import type { RelayStartOptions, ResolvedStream, StreamSpec } from './types.js';

export function relayRole(lab: Lab, opts: RelayStartOptions = {}): RelayRole {
  const i = opts.relay ?? 0;
  const role = lab.topo.relays[i];
  if (!role) throw new RangeError(`option "relay" must index topo.relays (0..${lab.topo.relays.length - 1}), received ${i}`);
  return role;
}

const familyOf = (address: string): AddressFamily | undefined => ({ 4: 'ipv4', 6: 'ipv6' } as const)[isIP(address) as 4 | 6];

/**
 * The one family of `streams`: `expected` when given, else the first stream's. Every input and
 * output group must be of it (a relay forwards within one family); the message names the field.
 */
export function streamsFamily(streams: StreamSpec[], expected?: AddressFamily): AddressFamily {
  if (streams.length === 0) throw new RangeError('streams must not be empty');
  const family = expected ?? familyOf(streams[0]!.group);
  streams.forEach((s, i) => {
    for (const field of ['group', 'outGroup'] as const) {
      if (familyOf(s[field]) !== family) {
        throw new RangeError(`streams[${i}].${field} must be an ${family ?? 'IPv4 or IPv6'} address${expected ? ' (option "family")' : ' (the family of streams[0].group)'}, received ${JSON.stringify(s[field])}`);
      }
    }
  });
  return family!;
}

export function resolveStreams(role: RelayRole, streams: StreamSpec[], expected?: AddressFamily): ResolvedStream[] {
  const family = streamsFamily(streams, expected);
  return streams.map((s, i) => {
    const input = role.inputs[s.input ?? 0];
    if (!input) throw new RangeError(`streams[${i}].input must index the relay's inputs (0..${role.inputs.length - 1}), received ${s.input}`);
    const outIdx = s.outputs ?? role.outputs.map((_, k) => k);
    const outs = outIdx.map((k) => {
      const o = role.outputs[k];
      if (!o) throw new RangeError(`streams[${i}].outputs must index the relay's outputs (0..${role.outputs.length - 1}), received ${k}`);
      return { ifname: o.ifname, ip: endpointIp(o, family) };
    });
    return { ...s, family, inIfname: input.ifname, outs };
  });
}

/** How much of a child's output (stdout and stderr together) is kept: the tail, for error messages. */
export const CHILD_OUTPUT_TAIL_BYTES = 64 * 1024;

type ChildProcess = ResultPromise<{ reject: false; stdin: 'ignore'; buffer: false; all: true }>;

/**
 * A relay's process in a namespace. Its output is drained as it comes (a tool that writes faster than
 * anyone reads would otherwise block on a full pipe, or grow the lab's memory) and only the last
 * CHILD_OUTPUT_TAIL_BYTES are kept, for the messages that say why it failed.
 */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number | undefined;
  /** The tail of what it printed so far. */
  output(): string;
  /** Whether it has exited (or was killed by a signal). */
  exited(): boolean;
}

/** Spawns `cmd args` inside `ns`. `ip netns exec` execs the command, so the child's pid is the tool's own. */
export function spawnInNetns(ns: string, cmd: string, args: string[]): Child {
  const process = execa('ip', ['netns', 'exec', ns, cmd, ...args], { reject: false, stdin: 'ignore', buffer: false, all: true });
  let tail = '';
  process.all.on('data', (chunk: Buffer) => {
    tail += chunk.toString();
    if (tail.length > CHILD_OUTPUT_TAIL_BYTES) tail = tail.slice(-CHILD_OUTPUT_TAIL_BYTES);
  });
  return {
    process,
    pid: process.pid,
    output: () => tail,
    exited: () => process.exitCode !== null || process.signalCode !== null,
  };
}

/** Resolves when `child`'s combined output contains `marker`; rejects if it exits first or after `timeoutMs`. */
export function waitForOutput(child: Child, marker: string | RegExp, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const all = child.process.all;
    const done = (err?: Error) => {
      clearTimeout(timer);
      all.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    const seen = () => child.output();
    const onData = () => {
      if (typeof marker === 'string' ? seen().includes(marker) : marker.test(seen())) done();
    };
    const timer = setTimeout(() => done(new Error(`${what}: not ready after ${timeoutMs} ms; output:\n${seen()}`)), timeoutMs);
    all.on('data', onData);
    onData();
    void child.process.then((r) => done(new Error(`${what} exited (code ${r.exitCode}, signal ${r.signal ?? '-'}) before it was ready:\n${seen()}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `ready` every 50 ms until it answers true; rejects when the child exits first (with its output)
 * or after `timeoutMs` (with `lastState()`, what was still missing).
 */
export async function waitUntil(child: Child, ready: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited()) {
      const r = await child.process;
      throw new Error(`${what} exited (code ${r.exitCode}, signal ${r.signal ?? '-'}) before it was ready:\n${child.output()}`);
    }
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms; output:\n${child.output()}`);
    await sleep(50);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.exited()) return;
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  child.process.kill('SIGTERM');
  await child.process;
  clearTimeout(timer);
}
