// In-kernel reference: smcroute (v2.5) installs multicast routes in the relay namespace's kernel.
//
//   smcrouted -n -N -f CONF -l debug -u SOCK -P PIDFILE -i IDENT
//   CONF:  phyint in0 enable
//          phyint out0 enable
//          mroute from in0 group 239.1.1.1 to out0
//
// -n foreground, -N no VIF unless `phyint ... enable`, -u/-P/-i: a socket, pid file and identity of
// its own so several instances (one per namespace, e.g. chain3) never collide; -p would be
// USER:GROUP in this version, not the pid file. The pid file is written once the routes are
// installed ("Ready, waiting for client request"): the readiness signal.
//
// Limits, by nature of kernel forwarding: it cannot rewrite group or port, so streams must have
// outGroup == group and outPort == port; it needs ip_forward=1 (the topology sets it) and senders
// must use a TTL > 1 (it decrements TTL, and the route's threshold is 1). The routes are (*,G):
// the first packets of a source go up to smcrouted, which installs (S,G); prime the path before
// counting. Its forwarding runs in the sender's softirq, so no process accounts for it: cpuSeconds() is null.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../topology/index.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, type Child } from './common.js';
import type { RelayStartOptions, RelayUnderTest, ResolvedStream, StreamSpec } from './types.js';

/** smcroute.conf text for the streams. Pure. */
export function smcrouteConf(streams: ResolvedStream[]): string {
  const ifaces = new Set<string>();
  const lines: string[] = [];
  for (const s of streams) {
    if (s.outGroup !== s.group || s.outPort !== s.port) {
      throw new RangeError(
        `kernel relay cannot rewrite group/port: stream ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort} (use outGroup == group and outPort == port)`,
      );
    }
    ifaces.add(s.inIfname);
    for (const o of s.outs) ifaces.add(o.ifname);
    lines.push(`mroute from ${s.inIfname} group ${s.group} to ${s.outs.map((o) => o.ifname).join(' ')}`);
  }
  // Several streams on one group (different ports) need a single route.
  return [...[...ifaces].map((i) => `phyint ${i} enable`), ...new Set(lines)].join('\n') + '\n';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KernelRelay implements RelayUnderTest {
  readonly name = 'kernel' as const;
  readonly label = 'kernel';
  private child: Child | undefined;
  private dir: string | undefined;

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.child) throw new Error('kernel relay: already started');
    const role = relayRole(lab, opts);
    const conf = smcrouteConf(resolveStreams(role, streams));
    this.dir = await mkdtemp(join(tmpdir(), 'mcr-lab-smcroute-'));
    const confFile = join(this.dir, 'smcroute.conf');
    const pidFile = join(this.dir, 'smcroute.pid');
    await writeFile(confFile, conf);
    const child = spawnInNetns(role.ns, 'smcrouted', [
      '-n', '-N', '-f', confFile, '-l', 'debug', '-u', join(this.dir, 'smcroute.sock'), '-P', pidFile, '-i', `mcrlab-${role.ns}`,
    ]);
    this.child = child;
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          const r = await child;
          throw new Error(`smcrouted exited (code ${r.exitCode}) before it was ready:\n${r.all ?? ''}`);
        }
        if (await stat(pidFile).then(() => true, () => false)) break;
        if (Date.now() > deadline) throw new Error(`smcrouted: no pid file ${pidFile} after 10 s`);
        await sleep(50);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = undefined;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Kernel forwarding runs in softirq context of the sender's core: not attributable to a process. */
  async cpuSeconds(): Promise<null> {
    return null;
  }
}
