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
// IPv6 uses the same file (smcroute installs MIFs and MFC6 entries; checked here with v2.5.6):
//          mroute from in0 group ff3e::1:1 to out0
// and needs a kernel with IPv6 multicast routing (/proc/net/ip6_mr_vif); smcrouted sets
// net.ipv6.conf.all.mc_forwarding itself. IPv6 forwarding decrements the hop limit like the TTL.
//
// Behind a snooping bridge (the `switch` topology) a group reaches the relay only while it is
// joined there: `mgroup from in0 group G` lines make smcrouted join (IGMP / MLD report).
//
// Limits, by nature of kernel forwarding: it cannot rewrite group or port, so streams must have
// outGroup == group and outPort == port; it needs ip_forward=1 (the topology sets it) and senders
// must use a TTL > 1 (it decrements TTL, and the route's threshold is 1). The routes are (*,G):
// the first packets of a source go up to smcrouted, which installs (S,G); prime the path before
// counting. Its forwarding runs in the sender's softirq, so no process accounts for it: cpuSeconds() is null.
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../topology/index.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, type Child } from './common.js';
import type { RelayStartOptions, RelayUnderTest, ResolvedStream, StreamSpec } from './types.js';

export interface SmcrouteConfOptions {
  /** Add `mgroup from IN group G` lines: smcrouted joins the input groups (default false). */
  join?: boolean;
}

/** smcroute.conf text for the streams. Pure. */
export function smcrouteConf(streams: ResolvedStream[], opts: SmcrouteConfOptions = {}): string {
  const ifaces = new Set<string>();
  const lines: string[] = [];
  const joins: string[] = [];
  for (const s of streams) {
    if (s.outGroup !== s.group || s.outPort !== s.port) {
      throw new RangeError(
        `kernel relay cannot rewrite group/port: stream ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort} (use outGroup == group and outPort == port)`,
      );
    }
    ifaces.add(s.inIfname);
    for (const o of s.outs) ifaces.add(o.ifname);
    lines.push(`mroute from ${s.inIfname} group ${s.group} to ${s.outs.map((o) => o.ifname).join(' ')}`);
    if (opts.join) joins.push(`mgroup from ${s.inIfname} group ${s.group}`);
  }
  // Several streams on one group (different ports) need a single route (and join).
  return [...[...ifaces].map((i) => `phyint ${i} enable`), ...new Set(joins), ...new Set(lines)].join('\n') + '\n';
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
    const resolved = resolveStreams(role, streams, opts.family);
    if (resolved[0]!.family === 'ipv6' && !(await access('/proc/net/ip6_mr_vif').then(() => true, () => false))) {
      throw new Error('kernel relay: this kernel has no IPv6 multicast routing (/proc/net/ip6_mr_vif missing: CONFIG_IPV6_MROUTE)');
    }
    const conf = smcrouteConf(resolved, { join: opts.igmpJoin ?? lab.topo.switch !== undefined });
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
