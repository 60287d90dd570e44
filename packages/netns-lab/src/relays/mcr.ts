// mcr, the relay under development, driven through its CLI only (the lab imports no relay code, only its config type):
//   node <bin> run --config FILE --control SOCK     (in the relay namespace)
//   node <bin> ping --control SOCK                  (readiness)
// <bin> is the workspace's @mcr/relay bin/mcr.js unless another build is named: the `bin` option
// (bed option `mcrBin`) or the environment variable MCR_BIN, e.g. a baseline commit built elsewhere
// for the bench's regression gate. The config is written as JSON (a subset of the JSON5 mcr accepts)
// to a private temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RelayConfigFile } from '@mcr/relay';
import { inNetns } from '../netns/index.js';
import type { Lab } from '../topology/index.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, streamsFamily, type Child } from './common.js';
import { assertRelayAvailable } from './availability.js';
import { CpuMeter } from './cpu.js';
import { mcrBin } from './mcr-bin.js';
import { relayTitle, type McrDataPlane, type McrTestOnly, type RelayStartOptions, type RelayUnderTest, type ResolvedStream, type StreamSpec } from './types.js';

export interface McrConfig {
  workers: number;
  fanout: { mode: 'hash' | 'cpu' | 'lb' | 'off' };
  igmp: { join: boolean };
  control: { socket: string };
  rules: {
    id: string;
    input: { interface: string; group: string; port: number };
    outputs: { interface: string; group: string; port: number; ttl: number }[];
  }[];
  testOnly?: McrTestOnly;
  dataPlane?: McrDataPlane;
}

/**
 * mcr's config for the streams. Pure. Rule ids are `s0`, `s1`, ... in stream order. IPv6 groups go
 * in as they are (canonical text, no brackets: the config's `"ff3e::1:2"`); relaying them needs an
 * mcr with IPv6.
 */
export function mcrConfig(streams: ResolvedStream[], controlSocket: string, opts: RelayStartOptions = {}): McrConfig {
  const ttl = opts.ttl ?? 8;
  const config: McrConfig = {
    workers: opts.workers ?? 2,
    fanout: { mode: opts.fanoutMode ?? 'hash' },
    igmp: { join: opts.igmpJoin ?? true },
    control: { socket: controlSocket },
    rules: streams.map((s, i) => ({
      id: `s${i}`,
      input: { interface: s.inIfname, group: s.group, port: s.port },
      outputs: s.outs.map((o) => ({ interface: o.ifname, group: s.outGroup, port: s.outPort, ttl })),
    })),
    ...(opts.testOnly ? { testOnly: { ...opts.testOnly } } : {}),
    ...(opts.dataPlane ? { dataPlane: { ...opts.dataPlane } } : {}),
  };
  // Types may be shared across packages: what the lab writes must be a config file the relay's own
  // schema type accepts, so a retyped field (or one the lab writes wrongly) breaks this build, not a lab run.
  return config satisfies RelayConfigFile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface McrRelayOptions {
  /** The mcr CLI to run (bin/mcr.js of some build); default mcrBin(): $MCR_BIN or the workspace's. */
  bin?: string;
}

export class McrRelay implements RelayUnderTest {
  readonly name = 'mcr' as const;
  readonly label = relayTitle('mcr');
  /** The CLI this instance runs (and talks to the control socket with). */
  readonly bin: string | undefined;
  private child: Child | undefined;
  private dir: string | undefined;
  private readonly meter = new CpuMeter(() => (this.child?.pid ? [this.child.pid] : []));

  /** Control socket of the running instance (for `mcr stats --control`). */
  controlSocket: string | undefined;

  constructor(options: McrRelayOptions = {}) {
    this.bin = mcrBin(options.bin);
  }

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.child) throw new Error('mcr relay: already started');
    const role = relayRole(lab, opts);
    const family = streamsFamily(streams, opts.family);
    await assertRelayAvailable('mcr', family, this.bin);
    const bin = this.bin!;
    this.dir = await mkdtemp(join(tmpdir(), 'mcr-lab-mcr-'));
    const sock = join(this.dir, 'control.sock');
    const cfgFile = join(this.dir, 'mcr.json');
    await writeFile(cfgFile, JSON.stringify(mcrConfig(resolveStreams(role, streams, opts.family), sock, opts), null, 2) + '\n');
    this.controlSocket = sock;
    const child = spawnInNetns(role.ns, process.execPath, [bin, 'run', '--config', cfgFile, '--control', sock]);
    this.child = child;
    try {
      const deadline = Date.now() + 15_000;
      let lastErr: unknown;
      for (;;) {
        if (child.exited()) {
          const r = await child.process;
          throw new Error(`mcr exited (code ${r.exitCode}, signal ${r.signal ?? '-'}) before answering ping:\n${child.output()}`);
        }
        try {
          await inNetns(role.ns, process.execPath, [bin, 'ping', '--control', sock], { timeout: 5000 });
          break;
        } catch (err) {
          lastErr = err;
        }
        if (Date.now() > deadline) throw new Error('mcr: no answer to `mcr ping` after 15 s', { cause: lastErr });
        await sleep(100);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.child) {
      // Sample once more so the CPU used by the workers is counted before they exit.
      await this.meter.seconds().catch(() => 0);
      await stopChild(this.child, 5000);
    }
    this.child = undefined;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.controlSocket = undefined;
  }

  cpuSeconds(): Promise<number> {
    return this.meter.seconds();
  }
}
