// In-kernel reference: smcroute (v2.5) installs multicast routes in the relay namespace's kernel.
//
//   smcrouted -n -N -f CONF -l notice -u SOCK -P PIDFILE -i IDENT
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
//
// Without multicast routing in the kernel smcrouted still starts, writes its pid file and routes
// nothing; the adapter therefore checks the doctor's probe first and refuses (kernel-tc needs none).
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../topology/index.js';
import { assertRelayAvailable } from './availability.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, waitUntil, type Child } from './common.js';
import { relayTitle, type RelayStartOptions, type RelayUnderTest, type ResolvedStream, type StreamSpec } from './types.js';

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
        `${relayTitle('kernel-mfc')} cannot rewrite group/port: stream ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort} (use outGroup == group and outPort == port)`,
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

/** The smcrouted argument vector. */
export function smcroutedArgs(dir: string, ident: string): string[] {
  return ['-n', '-N', '-f', join(dir, 'smcroute.conf'), '-l', 'notice', '-u', join(dir, 'smcroute.sock'), '-P', join(dir, 'smcroute.pid'), '-i', ident];
}

export class KernelMfcRelay implements RelayUnderTest {
  readonly name = 'kernel-mfc' as const;
  readonly label = relayTitle('kernel-mfc');
  private child: Child | undefined;
  private dir: string | undefined;

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.child) throw new Error(`${this.label}: already started`);
    const role = relayRole(lab, opts);
    const resolved = resolveStreams(role, streams, opts.family);
    await assertRelayAvailable('kernel-mfc', resolved[0]!.family);
    const conf = smcrouteConf(resolved, { join: opts.igmpJoin ?? lab.topo.switch !== undefined });
    this.dir = await mkdtemp(join(tmpdir(), 'mcr-lab-smcroute-'));
    await writeFile(join(this.dir, 'smcroute.conf'), conf);
    const pidFile = join(this.dir, 'smcroute.pid');
    const child = spawnInNetns(role.ns, 'smcrouted', smcroutedArgs(this.dir, `mcrlab-${role.ns}`));
    this.child = child;
    try {
      await waitUntil(child, () => stat(pidFile).then(() => true, () => false), `smcrouted (pid file ${pidFile})`);
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
