import { readFileSync } from 'node:fs';
import type { AddressFamily } from '@mcr/relay-native';

/**
 * The native MembershipSocket, as far as membership bookkeeping needs it: the family comes from
 * `group`; with `source` it is a source-specific join (MCAST_JOIN_SOURCE_GROUP, IGMPv3/MLDv2 include
 * mode), without it an any-source one (MCAST_JOIN_GROUP).
 */
export interface MembershipSocketLike {
  join(ifindex: number, group: string, interfaceName?: string, source?: string): void;
  leave(ifindex: number, group: string, interfaceName?: string, source?: string): void;
  close(): void;
}

/** One membership a rule needs: any-source when `source` is absent. */
export interface MembershipKey {
  interface: string;
  /** The family of group and source: ipv4 (IGMP) or ipv6 (MLD). */
  family: AddressFamily;
  group: string;
  source?: string;
}

export interface IgmpCounters {
  attempted: number;
  succeeded: number;
  failed: number;
  left: number;
}

export interface Membership {
  interface: string;
  /** ipv4: IGMP; ipv6: MLD. */
  family: AddressFamily;
  group: string;
  /** The source of a source-specific membership; absent: any source. */
  source?: string;
  /** The rules that need this membership. */
  rules: string[];
  /** false: the kernel does not hold it (a re-join failed); it is retried every REJOIN_RETRY_MS. */
  joined: boolean;
  /** Why the last attempt failed, while not joined. */
  error?: string;
}

/** How often memberships that a re-join could not join are tried again. */
export const REJOIN_RETRY_MS = 1000;

/**
 * Memberships one socket holds, per family. The kernel's per-socket limits, none of which the relay
 * changes:
 * - IPv4: net.ipv4.igmp_max_memberships (per netns, 20 by default) counts any-source and
 *   source-specific memberships alike; one more fails with ENOBUFS. Read from the sysctl.
 * - IPv6: MLD has no such count; what bounds a socket is net.core.optmem_max, which every membership
 *   (struct ipv6_mc_socklist, 56 bytes) and its source list (ip6_sf_socklist, 24 + 10 x 16 = 184 bytes
 *   for the first block of sources) are charged to: 240 bytes for a source-specific one. 64 of those
 *   take 15 KiB, within the smallest default optmem_max (20480 before Linux 6.9; 131072 since).
 *   Measured on one socket (Linux 6.18): optmem_max 131072 holds 2340 any-source or 546
 *   source-specific memberships, then ENOMEM; optmem_max 20480 holds 365 or 85, then ENOMEM/ENOBUFS.
 *   (IPv4 on the same socket type: 20 of either kind, then ENOBUFS.)
 * - Source filters: igmp_max_msf (10) and mld_max_msf (64) bound the sources of one group on one
 *   socket. The owner never puts the same group on one socket twice (any-source and source-specific
 *   of one group cannot share a socket anyway: the kernel refuses the mix), so a socket holds at most
 *   one source per group and those limits are never reached.
 */
/** The kernel's default of net.ipv4.igmp_max_memberships, used when the sysctl cannot be read. */
export const IGMP_MAX_MEMBERSHIPS_DEFAULT = 20;
/** IPv6 memberships one socket holds (see above: well within the smallest default optmem_max). */
export const IPV6_MEMBERSHIPS_PER_SOCKET = 64;

export const MEMBERSHIPS_PER_SOCKET: Record<AddressFamily, () => number> = {
  ipv4: () => readSysctl('/proc/sys/net/ipv4/igmp_max_memberships', IGMP_MAX_MEMBERSHIPS_DEFAULT),
  ipv6: () => IPV6_MEMBERSHIPS_PER_SOCKET,
};

export interface IgmpMembershipsOptions {
  openSocket: () => MembershipSocketLike;
  ifindexOf: (interfaceName: string) => number;
  /** Memberships one socket may hold, per family (tests); default MEMBERSHIPS_PER_SOCKET. */
  maxPerSocket?: Partial<Record<AddressFamily, number>>;
}

/** One membership socket and the memberships it holds, by group (never two of one group). */
interface SocketSlot {
  socket: MembershipSocketLike;
  /** group -> the source held on this socket ('' for any-source) */
  groups: Map<string, string>;
}

const ANY_SOURCE = '';

function keyOf(group: string, source: string | undefined): string {
  return `${group}|${source ?? ANY_SOURCE}`;
}

/** The single owner of every membership of one family on one interface. */
class InterfaceOwner {
  readonly slots: SocketSlot[] = [];
  /** (group, source) key -> ids of the rules that need it */
  readonly refs = new Map<string, { group: string; source: string | undefined; rules: Set<string> }>();
  /** (group, source) key -> the slot that holds its membership */
  readonly holder = new Map<string, SocketSlot>();
  /** (group, source) key -> why it could not be re-joined: needed by rules (in refs), not held by the kernel */
  readonly unjoined = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly family: AddressFamily,
  ) {}
}

/**
 * IGMP (IPv4) and MLD (IPv6) memberships, owned in one place per (interface, family) and
 * reference-counted by rule, keyed by (group, source).
 *
 * The bug this exists to prevent: memberships held per (interface, group) socket, created and dropped as
 * rules came and went, interfered with each other and with 2+ rules every stream lost 100 %. Here a
 * membership is joined once however many rules need it, and left only when the last rule that needs it
 * is gone. An any-source and a source-specific membership of one group are two memberships on two
 * sockets: the kernel merges them on the interface (exclude mode wins while the any-source one is held)
 * and each can be left without disturbing the other.
 *
 * Rather than touch sysctls, an owner spreads its memberships over as many sockets as
 * MEMBERSHIPS_PER_SOCKET allows.
 */
export class IgmpMemberships {
  private readonly owners = new Map<string, InterfaceOwner>();
  private readonly maxPerSocket: Record<AddressFamily, number>;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly counters: IgmpCounters = { attempted: 0, succeeded: 0, failed: 0, left: 0 };

  constructor(private readonly options: IgmpMembershipsOptions) {
    this.maxPerSocket = {
      ipv4: options.maxPerSocket?.ipv4 ?? MEMBERSHIPS_PER_SOCKET.ipv4(),
      ipv6: options.maxPerSocket?.ipv6 ?? MEMBERSHIPS_PER_SOCKET.ipv6(),
    };
  }

  /** Records that `ruleId` needs the membership; joins when it is the first. Throws the join error. */
  acquire(membership: MembershipKey, ruleId: string): void {
    const { interface: iface, family, group, source } = membership;
    const owner = this.ownerOf(iface, family);
    const key = keyOf(group, source);
    const refs = owner.refs.get(key);
    if (refs) {
      refs.rules.add(ruleId);
      return;
    }
    try {
      this.join(owner, group, source);
    } catch (err) {
      this.dropIfEmpty(owner);
      throw err;
    }
    owner.refs.set(key, { group, source, rules: new Set([ruleId]) });
  }

  /** Records that `ruleId` no longer needs the membership; leaves when no rule needs it. */
  release(membership: MembershipKey, ruleId: string): void {
    const { interface: iface, family, group, source } = membership;
    const owner = this.owners.get(ownerKey(iface, family));
    const key = keyOf(group, source);
    const refs = owner?.refs.get(key);
    if (!owner || !refs || !refs.rules.delete(ruleId) || refs.rules.size > 0) return;
    owner.refs.delete(key);
    const slot = owner.holder.get(key);
    owner.holder.delete(key);
    owner.unjoined.delete(key); // never joined since the re-join: nothing to leave
    if (slot) {
      slot.groups.delete(group);
      try {
        slot.socket.leave(this.options.ifindexOf(iface), group, iface, source);
      } catch {
        // The interface may be gone (and with it the membership); closing below settles it either way.
      }
      this.counters.left++;
      if (slot.groups.size === 0) {
        slot.socket.close();
        owner.slots.splice(owner.slots.indexOf(slot), 1);
      }
    }
    this.dropIfEmpty(owner);
  }

  list(): Membership[] {
    const out: Membership[] = [];
    for (const owner of this.owners.values()) {
      for (const [key, { group, source, rules }] of owner.refs) {
        const error = owner.unjoined.get(key);
        out.push({
          interface: owner.name,
          family: owner.family,
          group,
          ...(source === undefined ? {} : { source }),
          rules: [...rules].sort(),
          joined: error === undefined,
          ...(error === undefined ? {} : { error }),
        });
      }
    }
    const numeric = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
    return out.sort(
      (a, b) => a.interface.localeCompare(b.interface) || a.family.localeCompare(b.family) || numeric(a.group, b.group) || numeric(a.source ?? '', b.source ?? ''),
    );
  }

  /**
   * Re-joins every membership on `iface`, both families (after the interface came back: the kernel
   * dropped them). Never throws: a membership that cannot be joined (the interface gone again, a kernel
   * limit) is recorded as not joined, shown so in list(), and tried again every REJOIN_RETRY_MS until
   * it is joined or no rule needs it. Returns those that failed, for a log line, as `<group>[ from
   * <source>] (<error>)`.
   */
  rejoin(iface: string): string[] {
    const failing: string[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      const owner = this.owners.get(ownerKey(iface, family));
      if (!owner) continue;
      for (const slot of owner.slots) slot.socket.close();
      owner.slots.length = 0;
      owner.holder.clear();
      owner.unjoined.clear();
      for (const key of owner.refs.keys()) this.tryJoin(owner, key);
      for (const [key, error] of owner.unjoined) failing.push(`${describe(owner, key)} (${error})`);
    }
    this.scheduleRetry();
    return failing;
  }

  /**
   * Tries the memberships a re-join could not join again (the timer does it every REJOIN_RETRY_MS; an
   * interface event may do it sooner); returns those still failing as `<iface> <group>[ from <source>] (<error>)`.
   */
  retryUnjoined(): string[] {
    const failing: string[] = [];
    for (const owner of this.owners.values()) {
      for (const key of [...owner.unjoined.keys()]) this.tryJoin(owner, key);
      for (const [key, error] of owner.unjoined) failing.push(`${owner.name} ${describe(owner, key)} (${error})`);
    }
    this.scheduleRetry();
    return failing;
  }

  /** Leaves every membership and closes every socket. */
  close(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    for (const owner of [...this.owners.values()]) {
      for (const { group, source, rules } of [...owner.refs.values()]) {
        for (const rule of [...rules]) this.release({ interface: owner.name, family: owner.family, group, ...(source === undefined ? {} : { source }) }, rule);
      }
    }
    this.owners.clear();
  }

  private ownerOf(iface: string, family: AddressFamily): InterfaceOwner {
    const key = ownerKey(iface, family);
    let owner = this.owners.get(key);
    if (!owner) {
      owner = new InterfaceOwner(iface, family);
      this.owners.set(key, owner);
    }
    return owner;
  }

  private dropIfEmpty(owner: InterfaceOwner): void {
    if (owner.refs.size === 0 && owner.slots.length === 0) this.owners.delete(ownerKey(owner.name, owner.family));
  }

  /** Joins a membership rules need already; a failure is recorded in `unjoined` instead of thrown. */
  private tryJoin(owner: InterfaceOwner, key: string): void {
    const { group, source } = owner.refs.get(key)!;
    try {
      this.join(owner, group, source);
      owner.unjoined.delete(key);
    } catch (err) {
      owner.unjoined.set(key, err instanceof Error ? err.message : String(err));
    }
  }

  /** Keeps a retry timer running exactly while some membership waits to be joined. */
  private scheduleRetry(): void {
    const waiting = [...this.owners.values()].some((o) => o.unjoined.size > 0);
    if (waiting && !this.retryTimer) {
      this.retryTimer = setInterval(() => this.retryUnjoined(), REJOIN_RETRY_MS);
      this.retryTimer.unref(); // never what keeps the process alive
    } else if (!waiting && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  /** Joins (group, source) on a socket with room that does not hold `group` yet (a new one when none has), and records it there. */
  private join(owner: InterfaceOwner, group: string, source: string | undefined): void {
    this.counters.attempted++;
    const cap = this.maxPerSocket[owner.family];
    let slot = owner.slots.find((s) => s.groups.size < cap && !s.groups.has(group));
    const fresh = !slot;
    slot ??= { socket: this.options.openSocket(), groups: new Map() };
    try {
      slot.socket.join(this.options.ifindexOf(owner.name), group, owner.name, source);
    } catch (err) {
      this.counters.failed++;
      if (fresh) slot.socket.close();
      throw err;
    }
    if (fresh) owner.slots.push(slot);
    slot.groups.set(group, source ?? ANY_SOURCE);
    owner.holder.set(keyOf(group, source), slot);
    this.counters.succeeded++;
  }
}

function ownerKey(iface: string, family: AddressFamily): string {
  return `${iface}|${family}`;
}

function describe(owner: InterfaceOwner, key: string): string {
  const { group, source } = owner.refs.get(key)!;
  return source === undefined ? group : `${group} from ${source}`;
}

function readSysctl(path: string, fallback: number): number {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}
