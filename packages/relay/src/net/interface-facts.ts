import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { interfaceExists, isEthernetInterface } from './interfaces.js';
import { InterfaceRenames } from './renames.js';

/** What the data plane needs to know about an interface to send on it. */
export interface InterfaceFacts {
  name: string;
  ifindex: number;
  mac: string;
  /** First IPv4 address, the source address of rewritten IPv4 packets; null while it has none. */
  ipv4: string | null;
  /** First IPv6 address of global scope (not fe80::/10), the source of rewritten IPv6 packets; null while it has none. */
  ipv6: string | null;
  /** Its fe80:: link-local address: the source for link-local scope groups, and when it has no global one. */
  ipv6LinkLocal: string | null;
  ethernet: boolean;
}

type Addresses = ReturnType<typeof networkInterfaces>;

/** The addresses of `name` the data plane sends from, as getifaddrs (one call for all interfaces) reports them. */
export function interfaceAddresses(name: string, addresses: Addresses = networkInterfaces()): SendAddresses {
  const list = addresses[name] ?? [];
  const v6 = list.filter((a) => a.family === 'IPv6');
  return {
    ipv4: list.find((a) => a.family === 'IPv4')?.address ?? null,
    ipv6: v6.find((a) => !isLinkLocalUnicast(a.address))?.address ?? null,
    ipv6LinkLocal: v6.find((a) => isLinkLocalUnicast(a.address))?.address ?? null,
  };
}

type SendAddresses = Pick<InterfaceFacts, 'ipv4' | 'ipv6' | 'ipv6LinkLocal'>;

/** Whether an output's source address changed: IPv4, global IPv6 or link-local IPv6. */
export function addressesDiffer(a: SendAddresses, b: SendAddresses): boolean {
  return a.ipv4 !== b.ipv4 || a.ipv6 !== b.ipv6 || a.ipv6LinkLocal !== b.ipv6LinkLocal;
}

/** fe80::/10 */
function isLinkLocalUnicast(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

const NO_MAC = '00:00:00:00:00:00';

/** Reads one interface from sysfs (and getifaddrs for its address); null when it does not exist. */
export function readInterfaceFacts(name: string): InterfaceFacts | null {
  if (!interfaceExists(name)) return null;
  try {
    const sys = `/sys/class/net/${name}`;
    return {
      name,
      ifindex: Number(readFileSync(`${sys}/ifindex`, 'utf8').trim()),
      mac: readFileSync(`${sys}/address`, 'utf8').trim(),
      ...interfaceAddresses(name),
      ethernet: isEthernetInterface(name),
    };
  } catch {
    return null; // removed between the reads
  }
}

/** Every interface MAC of this namespace, without the all-zero one of lo and tunnels, sorted. */
export function readOwnMacs(): string[] {
  const macs = new Set<string>();
  for (const name of readdirSync('/sys/class/net')) {
    try {
      const mac = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim().toLowerCase();
      if (mac !== '' && mac !== NO_MAC) macs.add(mac);
    } catch {
      // removed while we listed, or without an address at all
    }
  }
  return [...macs].sort();
}

/**
 * Interface facts, cached: a rule change looks each output up here instead of in sysfs (about 118 us
 * a lookup, per output of every rule, made large rule sets block the supervisor for seconds). Entries
 * are read on a miss and forgotten when the interface watcher reports a change.
 */
export class InterfaceFactsCache {
  private readonly facts = new Map<string, InterfaceFacts | null>();
  private macs: string[] | null = null;

  constructor(private readonly renames = new InterfaceRenames()) {}

  get(name: string): InterfaceFacts | null {
    if (!this.facts.has(name)) this.facts.set(name, readInterfaceFacts(this.renames.resolve(name)));
    return this.facts.get(name)!;
  }

  /** The interface changed (gone, back, new address): read it again on the next lookup. */
  forget(name: string): void {
    this.facts.delete(name);
  }

  /**
   * Forgets every interface but `names`. The watcher reports changes only of interfaces the rules use:
   * an entry for one they no longer use would go stale unseen (deleted and created again with a new
   * ifindex), and a rule that names it later would send on a dead ifindex.
   */
  retainOnly(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of [...this.facts.keys()]) if (!keep.has(name)) this.facts.delete(name);
  }

  /**
   * Names whose cached facts no longer match what the interface watcher just read (a new ifindex or
   * MAC, an address gained or lost, gone or back). The watcher reports changes from its own previous reading;
   * this also catches a change between the lookup and the watcher's first reading of an interface.
   */
  staleAgainst(states: ReadonlyArray<{ name: string; ifindex: number | null; mac: string | null } & SendAddresses>): string[] {
    return states
      .filter((now) => {
        if (!this.facts.has(now.name)) return false;
        const cached = this.facts.get(now.name)!;
        if (cached === null) return now.ifindex !== null;
        return cached.ifindex !== now.ifindex || cached.mac.toLowerCase() !== now.mac || addressesDiffer(cached, now);
      })
      .map((s) => s.name);
  }

  ownMacs(): string[] {
    this.macs ??= readOwnMacs();
    return this.macs;
  }

  /**
   * Re-reads the namespace's MACs (any interface, not only those the rules name: a frame from any of
   * them is our own); true when the set changed since the tables were last given it.
   */
  refreshOwnMacs(): boolean {
    const before = this.macs;
    this.macs = readOwnMacs();
    return before !== null && before.join() !== this.macs.join();
  }
}
