// mcr, the relay under development, plugged into the lab and driven through its CLI only (this
// adapter imports no relay code, only its config type):
//   node <bin> run --config FILE --control SOCK     (in the relay namespace)
//   node <bin> ping --control SOCK                  (readiness)
// <bin> is the workspace's @mcr/relay bin/mcr.js unless another build is named: the `bin` option
// (bed option `mcrBin`) or the environment variable MCR_BIN, e.g. a baseline commit built elsewhere
// for the bench's regression gate. The config is written as JSON (a subset of the JSON5 mcr accepts)
// to a private temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, type RelayConfigFile } from '@mcr/relay';
import {
  assertRelayAvailable,
  CpuMeter,
  inNetns,
  LAB_TTL,
  relayRole,
  resolveStreams,
  spawnInNetns,
  stopChild,
  streamsFamily,
  type Child,
  type Lab,
  type RelayUnderTest,
  type ResolvedStream,
  type StreamSpec,
} from '@mcr/netns-lab';
import { mcrBin } from './mcr-bin.js';
import { mcrPlugin, type McrRelayName } from './mcr-plugin.js';
import type { McrDataPlane, McrForward, McrIgmpSettings, McrStartOptions, McrTestOnly } from './mcr-options.js';

export interface McrConfig {
  workers: number;
  fanout: { mode: 'hash' | 'cpu' | 'lb' | 'off' };
  igmp: { join: boolean } & McrIgmpSettings;
  control: { socket: string };
  rules: {
    id: string;
    input: { interface: string; group: string; port: number };
    outputs: { interface: string; group: string; port: number; ttl: number; forward?: McrForward }[];
  }[];
  testOnly?: McrTestOnly;
  dataPlane?: McrDataPlane;
  reflectors?: RelayConfigFile['reflectors'];
}

/**
 * mcr's config for the streams. Pure. Rule ids are `s0`, `s1`, ... in stream order. IPv6 groups go
 * in as they are (canonical text, no brackets: the config's `"ff3e::1:2"`); relaying them needs an
 * mcr with IPv6.
 */
export function mcrConfig(streams: ResolvedStream[], controlSocket: string, opts: McrStartOptions = {}): McrConfig {
  const ttl = opts.ttl ?? LAB_TTL;
  const config: McrConfig = {
    workers: opts.workers ?? DEFAULTS.workers,
    fanout: { mode: opts.fanoutMode ?? DEFAULTS.fanoutMode },
    // The querier and timer fields are written only when a scenario asks for them, so a default config
    // stays one that a relay without receiver-driven relaying (an older baseline build) accepts too.
    igmp: { join: opts.igmpJoin ?? DEFAULTS.igmpJoin, ...(opts.igmp ?? {}) },
    control: { socket: controlSocket },
    rules: streams.map((s, i) => ({
      id: `s${i}`,
      input: { interface: s.inIfname, group: s.group, port: s.port },
      outputs: s.outs.map((o) => ({ interface: o.ifname, group: s.outGroup, port: s.outPort, ttl, ...(opts.forward ? { forward: opts.forward } : {}) })),
    })),
    ...(opts.testOnly ? { testOnly: { ...opts.testOnly } } : {}),
    ...(opts.dataPlane ? { dataPlane: { ...opts.dataPlane } } : {}),
    ...(opts.reflectors ? { reflectors: structuredClone(opts.reflectors) } : {}),
  };
  // Types may be shared across packages: what the lab writes must be a config file the relay's own
  // schema type accepts, so a retyped field (or one the lab writes wrongly) breaks this build, not a lab run.
  return config satisfies RelayConfigFile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface McrRelayOptions {
  /** `mcr` (its default engine) or `mcr-tc` (`dataPlane.engine: "tc"`); default `mcr`. */
  name?: McrRelayName;
  /** The mcr CLI to run (bin/mcr.js of some build); default mcrBin(): $MCR_BIN or the workspace's. */
  bin?: string;
  /** `mcr run --state FILE`: runtime rules survive a restart (the chaos scenario). */
  stateFile?: string;
}

export class McrRelay implements RelayUnderTest<McrStartOptions> {
  readonly name: McrRelayName;
  readonly label: string;
  /** The CLI this instance runs (and talks to the control socket with). */
  readonly bin: string | undefined;
  private child: Child | undefined;
  private dir: string | undefined;
  private ns: string | undefined;
  private config: McrConfig | undefined;
  private configFile: string | undefined;
  private readonly meter = new CpuMeter(() => (this.child?.pid ? [this.child.pid] : []));

  /** Control socket of the running instance (for `mcr stats --control`). */
  controlSocket: string | undefined;

  constructor(private readonly options: McrRelayOptions = {}) {
    this.bin = mcrBin(options.bin);
    this.name = options.name ?? 'mcr';
    this.label = this.name;
  }

  async start(lab: Lab, streams: StreamSpec[], opts: McrStartOptions = {}): Promise<void> {
    if (this.child) throw new Error('mcr relay: already started');
    const role = relayRole(lab, opts);
    const family = streamsFamily(streams, opts.family);
    await assertRelayAvailable(this.name, family, [mcrPlugin(this.bin, this.name)]);
    this.dir = await mkdtemp(join(tmpdir(), 'mcr-lab-mcr-'));
    const sock = join(this.dir, 'control.sock');
    const engineOpts: McrStartOptions = this.name === 'mcr-tc' ? { ...opts, dataPlane: { ...opts.dataPlane, engine: 'tc' } } : opts;
    this.config = mcrConfig(resolveStreams(role, streams, opts.family).slice(0, opts.configStreams ?? streams.length), sock, engineOpts);
    this.configFile = join(this.dir, 'mcr.json');
    await writeFile(this.configFile, JSON.stringify(this.config, null, 2) + '\n');
    this.controlSocket = sock;
    this.ns = role.ns;
    try {
      await this.launch();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Spawns `mcr run` with this instance's config (and state file) and waits until it answers ping. */
  private async launch(): Promise<void> {
    const bin = this.bin!;
    const sock = this.controlSocket!;
    const state = this.options.stateFile === undefined ? [] : ['--state', this.options.stateFile];
    const child = spawnInNetns(this.ns!, process.execPath, [bin, 'run', '--config', this.configFile!, '--control', sock, ...state]);
    this.child = child;
    const deadline = Date.now() + 15_000;
    let lastErr: unknown;
    for (;;) {
      if (child.exited()) {
        const r = await child.process;
        throw new Error(`mcr exited (code ${r.exitCode}, signal ${r.signal ?? '-'}) before answering ping:\n${child.output()}`);
      }
      try {
        await inNetns(this.ns!, process.execPath, [bin, 'ping', '--control', sock], { timeout: 5000 });
        return;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() > deadline) throw new Error('mcr: no answer to `mcr ping` after 15 s', { cause: lastErr });
      await sleep(100);
    }
  }

  /** The supervisor's pid (its workers are its children); undefined when not running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * SIGKILL of the supervisor (its workers stop when their channel to it closes), then `mcr run` again
   * from the same config and state file, as systemd's Restart= would: the chaos scenario's fault.
   */
  async restart(): Promise<void> {
    if (!this.child) throw new Error('mcr relay: not running');
    const old = this.child;
    old.process.kill('SIGKILL');
    await old.process;
    await this.launch();
  }

  /** Writes a changed config file (for `mcr reload`); `edit` gets the current one and returns the next. */
  async rewriteConfig(edit: (config: McrConfig) => McrConfig): Promise<void> {
    if (!this.config || !this.configFile) throw new Error('mcr relay: not running');
    this.config = edit(structuredClone(this.config));
    await writeFile(this.configFile, JSON.stringify(this.config, null, 2) + '\n');
  }

  /** The config file as the relay was last given it. */
  get currentConfig(): McrConfig | undefined {
    return this.config && structuredClone(this.config);
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
    this.ns = undefined;
    this.config = undefined;
    this.configFile = undefined;
  }

  cpuSeconds(): Promise<number> {
    return this.meter.seconds();
  }
}
