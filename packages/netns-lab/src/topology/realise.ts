// Realisation: turns a Topology into namespaces, veth pairs, bridges, sysctls, routes and netem
// qdiscs, in that order. Any failure (or SIGINT/SIGTERM, or an abort signal) tears down what was
// created, then rethrows. veth pairs are created directly inside their namespaces, so nothing
// ever appears in the root namespace.
import { addNamespace, deleteNamespace, inNetns, listNamespaces, run } from '../netns/index.js';
import { uniquePrefix } from './names.js';
import { register, unregister } from './registry.js';
import type { LinkSpec, NetemSpec, Topology } from './types.js';

export interface Lab {
  readonly topo: Topology;
  readonly prefix: string;
  /** Runs a command inside one of the lab's namespaces. */
  exec(ns: string, cmd: string, args: readonly string[]): ReturnType<typeof inNetns>;
  /** Kills the processes inside each namespace (by pid) and deletes the namespaces in reverse order. Idempotent. */
  down(): Promise<void>;
}

export interface UpOptions {
  /** Abort realisation (the partial lab is torn down). */
  signal?: AbortSignal;
  /** Record the lab in /run/mcr-lab (default true). */
  register?: boolean;
}

export class LabInterrupted extends Error {
  constructor(reason: string) {
    super(`lab realisation interrupted (${reason}); partial lab torn down`);
    this.name = 'LabInterrupted';
  }
}

/**
 * Arguments for `tc qdisc add dev IF root ...`: `netem` for loss/delay/jitter (with an optional
 * rate), `tbf` for a rate limit alone. tbf needs no netem support in the kernel (this project's
 * machine has CONFIG_NET_SCH_NETEM unset: netem fails with "Specified qdisc kind is unknown").
 */
export function qdiscArgs(n: NetemSpec): string[] {
  if (n.rate !== undefined && n.lossPct === undefined && n.delayMs === undefined && n.jitterMs === undefined) {
    return ['tbf', 'rate', n.rate, 'burst', '64kbit', 'latency', '50ms'];
  }
  return ['netem', ...netemArgs(n)];
}

/** Whether this kernel has the netem qdisc (tries it on lo in a scratch namespace of our family). */
export async function netemSupported(): Promise<boolean> {
  const ns = `${uniquePrefix()}-probe`;
  await addNamespace(ns);
  try {
    await run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    return true;
  } catch {
    return false;
  } finally {
    await deleteNamespace(ns);
  }
}

/** Arguments after `netem` for loss/delay/jitter/rate. */
export function netemArgs(n: NetemSpec): string[] {
  const args: string[] = [];
  if (n.delayMs !== undefined) {
    args.push('delay', `${n.delayMs}ms`);
    if (n.jitterMs !== undefined) args.push(`${n.jitterMs}ms`);
  } else if (n.jitterMs !== undefined) {
    throw new RangeError('netem option "jitterMs" needs "delayMs"');
  }
  if (n.lossPct !== undefined) args.push('loss', `${n.lossPct}%`);
  if (n.rate !== undefined) args.push('rate', n.rate);
  if (args.length === 0) throw new RangeError('netem needs at least one of lossPct, delayMs, rate');
  return args;
}

/** A Lab handle for a topology whose namespaces already exist (e.g. read back from the registry). */
export function attach(topo: Topology, created: readonly string[] = topo.namespaces.map((n) => n.name)): Lab {
  let downed: Promise<void> | undefined;
  return {
    topo,
    prefix: topo.prefix,
    exec: (ns, cmd, args) => inNetns(ns, cmd, args),
    down() {
      downed ??= (async () => {
        const errors: unknown[] = [];
        for (const ns of [...created].reverse()) {
          try {
            await deleteNamespace(ns);
          } catch (err) {
            errors.push(err); // keep going: remove everything we can, then report
          }
        }
        await unregister(topo.prefix);
        if (errors.length) throw new AggregateError(errors, `lab ${topo.prefix}: ${errors.length} namespace(s) not removed`);
      })();
      return downed;
    },
  };
}

type Step = (cmd: string, args: string[]) => Promise<unknown>;

async function addLink(link: LinkSpec, step: Step): Promise<void> {
  await step('ip', ['link', 'add', link.a.ifname, 'netns', link.a.ns, 'type', 'veth', 'peer', 'name', link.b.ifname, 'netns', link.b.ns]);
  for (const end of [link.a, link.b]) await addAddresses(end.ns, end.ifname, end, step);
}

/** Addresses of an interface (a fixed link-local replaces the kernel's), then up. */
async function addAddresses(ns: string, ifname: string, a: { address?: string; address6?: string; linkLocal?: string }, step: Step): Promise<void> {
  // Before the interface goes up: with addrgenmode none the kernel derives no fe80:: address of its own.
  if (a.linkLocal) await step('ip', ['-n', ns, 'link', 'set', ifname, 'addrgenmode', 'none']);
  if (a.address) await step('ip', ['-n', ns, 'addr', 'add', a.address, 'dev', ifname]);
  if (a.address6) await step('ip', ['-n', ns, 'addr', 'add', a.address6, 'dev', ifname, 'nodad']);
  if (a.linkLocal) await step('ip', ['-n', ns, 'addr', 'add', a.linkLocal, 'dev', ifname, 'nodad']);
  await step('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
}

/** Copies `port`'s incoming link-local multicast (IPv4 224.0.0.0/24, IPv6 ff02::/16) to `to` (BridgeSpec.linkLocalFrom). */
async function mirrorLinkLocal(ns: string, port: string, to: string[], step: Step): Promise<void> {
  await step('tc', ['-n', ns, 'qdisc', 'add', 'dev', port, 'clsact']);
  const mirrors = to.flatMap((dev) => ['action', 'mirred', 'egress', 'mirror', 'dev', dev]);
  for (const [protocol, match] of [['ip', ['ip', 'dst', '224.0.0.0/24']], ['ipv6', ['ip6', 'dst', 'ff02::/16']]] as const) {
    await step('tc', ['-n', ns, 'filter', 'add', 'dev', port, 'ingress', 'protocol', protocol, 'u32', 'match', ...match, ...mirrors]);
  }
}

/** A per-interface key (`net.ipv4.conf.IF.x`, `net.ipv6.conf.IF.x`), as opposed to a namespace-wide one. */
const perInterface = (key: string): boolean => /\.conf\./.test(key) && !/\.conf\.(all|default)\./.test(key);

const sysctlArgs = (entries: [string, string][]): string[] => entries.map(([k, v]) => `${k}=${v}`);

interface Ipv6Addr {
  ifname: string;
  flags?: string[];
  addr_info?: { family: string; local: string; scope: string; tentative?: boolean; dadfailed?: boolean }[];
}

/**
 * Waits until, in every namespace, each interface set up has its fe80:: link-local address (and
 * with it the kernel's `multicast ff00::/8` route) and no address is still tentative (field notes:
 * even with `nodad`, wait for that). Administratively up, not operstate UP: the kernel reports
 * operstate late (linkwatch), and a veth without its link-local address drops IPv6 multicast as
 * "no route" (Ip6InNoRoutes). With DAD off this takes well under a second; the bound is generous.
 */
export async function awaitIpv6Ready(topo: Topology, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const ns of topo.namespaces) {
    for (;;) {
      const { stdout } = await run('ip', ['-n', ns.name, '-j', '-6', 'addr', 'show']);
      const links = (JSON.parse(stdout || '[]') as Ipv6Addr[]).filter((l) => l.ifname !== 'lo' && (l.flags ?? []).includes('UP'));
      const pending = links.filter((l) => {
        const addrs = (l.addr_info ?? []).filter((a) => a.family === 'inet6');
        return !addrs.some((a) => a.scope === 'link') || addrs.some((a) => a.tentative || a.dadfailed);
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`lab ${topo.prefix}: IPv6 not ready in ${ns.name} after ${timeoutMs} ms (no link-local or tentative address on ${pending.map((l) => l.ifname).join(', ')})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Re-creates one link of a realised topology from its spec, with its addresses, per-interface sysctls
 * and multicast routes: for fault tests that deleted it to see the relay recover.
 */
export async function relink(topo: Topology, linkId: string): Promise<void> {
  const link = topo.links.find((l) => l.id === linkId);
  if (!link) throw new Error(`lab ${topo.prefix}: no link "${linkId}" (links: ${topo.links.map((l) => l.id).join(', ')})`);
  await addLink(link, run);
  await awaitIpv6Ready(topo);
  for (const end of [link.a, link.b]) {
    const ns = topo.namespaces.find((n) => n.name === end.ns)!;
    const kv = sysctlArgs(Object.entries(ns.sysctls).filter(([k]) => k.includes(`.${end.ifname}.`)));
    if (kv.length) await run('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', ...kv]);
    if (ns.mcastRoute === end.ifname) await run('ip', ['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', end.ifname]);
  }
}

export async function up(topo: Topology, opts: UpOptions = {}): Promise<Lab> {
  // A prefix in use belongs to another lab: refuse before touching anything (the teardown below
  // would otherwise remove that lab's registry entry).
  const existing = new Set(await listNamespaces());
  const clash = topo.namespaces.find((n) => existing.has(n.name));
  if (clash) throw new Error(`lab ${topo.prefix}: namespace ${clash.name} already exists (prefix in use; mcr-lab topo down ${topo.prefix})`);
  const created: string[] = [];
  let interrupted: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const check = () => {
    if (interrupted) throw new LabInterrupted(interrupted);
    if (opts.signal?.aborted) throw new LabInterrupted('aborted');
  };
  const step = async (cmd: string, args: string[]) => {
    check();
    await run(cmd, args);
  };
  try {
    // Registered first, so a crash half-way still leaves a trace `topo list` / `clean` can use.
    if (opts.register !== false) await register(topo);

    for (const ns of topo.namespaces) {
      check();
      await addNamespace(ns.name);
      created.push(ns.name);
      await step('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
      // Namespace-wide first: interfaces created from here on inherit the defaults (IPv6 on, no DAD).
      const early = sysctlArgs(Object.entries(ns.sysctls).filter(([k]) => !perInterface(k)));
      if (early.length) await step('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', ...early]);
    }

    for (const link of topo.links) await addLink(link, step);

    for (const br of topo.bridges) {
      // The querier starts below, once the bridge has its link-local address.
      await step('ip', ['-n', br.ns, 'link', 'add', br.name, 'type', 'bridge',
        'mcast_snooping', br.mcastSnooping ? '1' : '0', 'mcast_querier', '0',
        ...(br.mcastMldVersion ? ['mcast_mld_version', String(br.mcastMldVersion)] : []),
        ...(br.mcastIgmpVersion ? ['mcast_igmp_version', String(br.mcastIgmpVersion)] : []),
        ...(br.address ? ['mcast_query_use_ifaddr', '1'] : []),
        ...Object.entries(br.mcastTimers ?? {}).flatMap(([k, v]) => [k, String(v)])]);
      for (const port of br.ports) await step('ip', ['-n', br.ns, 'link', 'set', port, 'master', br.name]);
      await addAddresses(br.ns, br.name, br, step);
      for (const port of br.noFloodPorts) await step('bridge', ['-n', br.ns, 'link', 'set', 'dev', port, 'mcast_flood', 'off']);
      for (const port of br.routerPorts ?? []) await step('bridge', ['-n', br.ns, 'link', 'set', 'dev', port, 'mcast_router', '2']);
      for (const port of br.linkLocalFrom ?? []) await mirrorLinkLocal(br.ns, port, br.noFloodPorts, step);
    }

    for (const ns of topo.namespaces) {
      const kv = sysctlArgs(Object.entries(ns.sysctls).filter(([k]) => perInterface(k)));
      if (kv.length) await step('ip', ['netns', 'exec', ns.name, 'sysctl', '-q', '-w', ...kv]);
      if (ns.mcastRoute) await step('ip', ['-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', ns.mcastRoute]);
    }

    for (const link of topo.links) {
      if (!link.netem) continue;
      const on = link.netem.on ?? 'a';
      const ends = on === 'both' ? [link.a, link.b] : [on === 'a' ? link.a : link.b];
      for (const end of ends) await step('tc', ['-n', end.ns, 'qdisc', 'add', 'dev', end.ifname, 'root', ...qdiscArgs(link.netem)]);
    }
    check();
    await awaitIpv6Ready(topo);
    // The MLD querier trap (field notes): a querier enabled with the bridge sends its first query
    // before the bridge has a usable fe80:: address, and snooping then forwards no IPv6 group.
    // Started now, it queries with that address (the IGMP querier just starts a little later).
    for (const br of topo.bridges.filter((b) => b.mcastQuerier)) {
      await step('ip', ['-n', br.ns, 'link', 'set', br.name, 'type', 'bridge', 'mcast_querier', '1']);
    }
    check();
    return attach(topo, created);
  } catch (err) {
    try {
      await attach(topo, created).down();
    } catch (cleanupErr) {
      throw new AggregateError([err, cleanupErr], `lab ${topo.prefix}: realisation failed and so did the teardown`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
