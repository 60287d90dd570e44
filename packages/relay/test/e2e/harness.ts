import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chain,
  inputGroup,
  inputPort,
  outputGroup,
  outputPort,
  runSender,
  startReceiver,
  uniquePrefix,
  up,
  type AddressFamily,
  type Endpoint,
  type Lab,
  type ReceiverResult,
  type SenderResult,
} from '@mcr/netns-lab';
import { request } from '../../src/control/control-client.js';
import type { Command, Response } from '../../src/control/protocol.js';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '../temp-dirs.js';
import { installedRelayBin } from './installed-copy.js';

// The relay under test runs as users run it: `mcr run` in the relay namespace, driven through its
// control socket. Traffic comes from the lab's native sender and receiver.

export const MCR_BIN = fileURLToPath(new URL('../../bin/mcr.js', import.meta.url));

/**
 * The engine the e2e relays run (MCR_E2E_ENGINE: 'packet', the default, or 'tc'), so the same tests
 * prove both: `nx run relay:e2e-tc` (and `nx run relay:test` after the packet engine's run) runs the
 * files scripts/e2e-tc.mjs lists with 'tc': forwarding, IPv6, ranges, SSM, safety, loop, malformed and
 * checksums, own frames and reload. A config that sets dataPlane.engine itself keeps it.
 */
export const E2E_ENGINE: 'packet' | 'tc' = process.env.MCR_E2E_ENGINE === 'tc' ? 'tc' : 'packet';

/** The worker processes of a `mcr stats` answer: with the tc engine, its program has a row of its own too. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as result() gives them (untyped JSON)
export function workerProcesses(stats: { workers: Array<{ engine: string }> }): any[] {
  return stats.workers.filter((w) => w.engine === 'packet');
}

function withEngine(config: Record<string, unknown>): Record<string, unknown> {
  const dataPlane = (config.dataPlane as Record<string, unknown> | undefined) ?? {};
  if (E2E_ENGINE === 'packet' || dataPlane.engine !== undefined) return config;
  return { ...config, dataPlane: { ...dataPlane, engine: E2E_ENGINE } };
}

export interface Stream {
  id: string;
  group: string;
  port: number;
  outGroup: string;
  outPort: number;
}

/** Stream n of the lab's plan (239.1.x.y or ff3e::1:n in, 239.9.x.y or ff3e::9:n out; ports 5001+n, 6001+n). */
export function streamPlan(count: number, first = 0, family: AddressFamily = 'ipv4'): Stream[] {
  return Array.from({ length: count }, (_, i) => {
    const n = first + i;
    return { id: `s${n}`, group: inputGroup(n, family), port: inputPort(n), outGroup: outputGroup(n, family), outPort: outputPort(n) };
  });
}

export function ruleFor(s: Stream, lab: Lab) {
  return {
    id: s.id,
    input: { interface: lab.topo.relay.inputs[0]!.ifname, group: s.group, port: s.port },
    outputs: [{ interface: lab.topo.relay.outputs[0]!.ifname, group: s.outGroup, port: s.outPort, ttl: 8 }],
  };
}

export async function chainLab(): Promise<Lab> {
  return up(chain({ prefix: uniquePrefix() }));
}

/**
 * A chain lab for the enclosing describe block: up before its first test (handed to `use`), down
 * after its last, even when a test failed.
 */
export function useChainLab(use: (lab: Lab) => void): void {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await chainLab();
    use(lab);
  });
  afterAll(async () => {
    await lab?.down();
  });
}

export class RelayProcess {
  stderr = '';
  private constructor(
    readonly child: ChildProcess,
    readonly control: string,
    private readonly dir: string,
    readonly exited: Promise<number | null>,
  ) {}

  /**
   * Starts `mcr run` with `config` in namespace `ns`; resolves once it answers ping. `runAs`: as that
   * user, holding only `caps` (setpriv; the config and socket directory are made theirs), running an
   * installed copy of the relay (installed-copy.ts) so the checkout's location does not matter.
   */
  static async start(ns: string, config: Record<string, unknown>, extraArgs: string[] = [], runAs?: RunAs): Promise<RelayProcess> {
    const dir = tempDir('mcr-e2e-');
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    const controlConfig = { socket: join(dir, 'control.sock'), ...(config.control as Record<string, unknown> | undefined) };
    const control = controlConfig.socket as string;
    const file = join(dir, 'relay.json5');
    writeFileSync(file, JSON.stringify({ ...withEngine(config), control: controlConfig }));
    if (runAs) chownSync(file, runAs.uid, runAs.gid);
    // Another user runs an installed copy: it may not be able to enter the checkout's directories.
    const bin = runAs ? installedRelayBin() : MCR_BIN;
    const child = spawn('ip', ['netns', 'exec', ns, ...(runAs ? setprivArgs(runAs) : []), process.execPath, bin, 'run', '--config', file, '--stats-interval', '0', ...extraArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const relay = new RelayProcess(child, control, dir, exited);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (relay.stderr += d));
    for (let i = 0; ; i++) {
      const state = await Promise.race([exited.then(() => 'exited' as const), request(control, 'ping', {}, 1000).then(() => 'up' as const, () => 'down' as const)]);
      if (state === 'up') return relay;
      if (state === 'exited' || i > 100) {
        await relay.stop();
        throw new Error(`mcr did not come up: ${relay.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The config file `mcr run` was started with (for reload tests to rewrite). */
  get configFile(): string {
    return join(this.dir, 'relay.json5');
  }

  /** Rewrites the config file (same control socket); the relay reads it at its next reload. */
  writeConfig(config: Record<string, unknown>): void {
    writeFileSync(this.configFile, JSON.stringify({ ...withEngine(config), control: { socket: this.control, ...(config.control as Record<string, unknown> | undefined) } }));
  }

  async call(cmd: Command, args: Record<string, unknown> = {}): Promise<Response> {
    return request(this.control, cmd, args);
  }

  /** Asks and insists: the result of a command that must succeed. */
  async result<T = any>(cmd: Command, args: Record<string, unknown> = {}): Promise<T> {
    const res = await this.call(cmd, args);
    if (!res.ok) throw new Error(`${cmd} failed: ${res.error.code} ${res.error.message}`);
    return res.result as T;
  }

  /** SIGTERM, then the exit code (SIGKILL after 5 s, which the test then sees as null). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exited;
  }
}

/** A user and the only capabilities it holds (names as setpriv writes them: net_raw, net_admin). */
export interface RunAs {
  uid: number;
  gid: number;
  caps: string[];
  /** Supplementary groups (gids), as systemd's SupplementaryGroups= gives them; default none. */
  groups?: number[];
}

/** setpriv: switch to the user and keep exactly `caps` (ambient, so the workers inherit them across exec). */
export function setprivArgs(runAs: RunAs): string[] {
  const caps = runAs.caps.map((c) => `+${c}`).join(',');
  return [
    'setpriv',
    `--reuid=${runAs.uid}`,
    `--regid=${runAs.gid}`,
    ...(runAs.groups?.length ? [`--groups=${runAs.groups.join(',')}`] : ['--clear-groups']),
    `--inh-caps=-all${caps ? `,${caps}` : ''}`,
    ...(caps ? [`--ambient-caps=${caps}`] : []),
    `--bounding-set=-all${caps ? `,${caps}` : ''}`,
    '--',
  ];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 20 ms until it holds; returns the milliseconds it took (or throws after limitMs). */
export async function waitFor(what: string, probe: () => Promise<boolean>, limitMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > limitMs) throw new Error(`${what}: not after ${limitMs} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

export interface TrafficResult {
  sent: SenderResult;
  received: ReceiverResult;
}

/**
 * Sends `count` sequence-numbered packets per stream from the source namespace and counts what reaches
 * the sink on the streams' output groups.
 */
export async function pushTraffic(lab: Lab, streams: Stream[], opts: { rate: number; count: number; size?: number }): Promise<TrafficResult> {
  const sink = lab.topo.sinks[0]!;
  const receiver = await startReceiver({
    netns: sink.ns,
    interface: sink.ifname,
    streams: streams.map((s) => ({ group: s.outGroup, port: s.outPort })),
    expect: opts.count,
  });
  try {
    const sent = await runSender({
      netns: lab.topo.source.ns,
      interface: lab.topo.source.ifname,
      streams: streams.map((s) => ({ group: s.group, port: s.port })),
      rate: opts.rate,
      count: opts.count,
      size: opts.size ?? 1000,
      ttl: 8,
    });
    await new Promise((r) => setTimeout(r, 500)); // let the last packets cross the relay
    return { sent, received: await receiver.stop() };
  } catch (err) {
    await receiver.stop().catch(() => undefined);
    throw err;
  }
}

/** Opens a control connection and collects what the relay says until the connection closes. */
export function openClient(path: string): { socket: Socket; said: Promise<string>; closedAt: Promise<number> } {
  const socket = connect(path);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, said: closed.then(() => text), closedAt: closed.then(() => Date.now()) };
}

/**
 * Receives one output group (or a unicast port) in `sink`'s namespace with a plain UDP socket and
 * records, per source address, how many datagrams came and when the first did: what the relay put in
 * the IP header. IPv6 when `group` is: joined on the sink's interface (`::%ifname`).
 */
export function sourceProbe(sink: Pick<Endpoint, 'ns' | 'ifname' | 'ip'>, group: string, port: number) {
  const v6 = group.includes(':');
  const join = v6 ? (group.startsWith('ff') ? `s.addMembership('${group}', '::%${sink.ifname}');` : '') : Number(group.split('.')[0]) >= 224 ? `s.addMembership('${group}', '${sink.ip}');` : '';
  const script = `
    const s = require('node:dgram').createSocket({ type: '${v6 ? 'udp6' : 'udp4'}', reuseAddr: true });
    const seen = {};
    s.on('message', (_m, r) => { (seen[r.address.split('%')[0]] ??= { count: 0, first: Date.now() }).count++; });
    s.bind(${port}, () => { ${join} console.log('ready'); });
    process.on('SIGTERM', () => { console.log(JSON.stringify(seen)); process.exit(0); });`;
  const child = spawn('ip', ['netns', 'exec', sink.ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = waitFor('probe ready', async () => out.includes('ready'), 5000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    async stop(): Promise<Record<string, { count: number; first: number }>> {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.split('\n').filter(Boolean).at(-1)!);
    },
  };
}
