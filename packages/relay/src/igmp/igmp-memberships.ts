import { readFileSync } from 'node:fs';

/** The native MembershipSocket, as far as membership bookkeeping needs it. */
export interface MembershipSocketLike {
  join(ifindex: number, group: string, interfaceName?: string): void;
  leave(ifindex: number, group: string, interfaceName?: string): void;
  close(): void;
}

export interface IgmpCounters {
  attempted: number;
  succeeded: number;
  failed: number;
  left: number;
}

export interface Membership {
  interface: string;
  group: string;
  /** The rules that need this membership. */
  rules: string[];
  /** false: the kernel does not hold it (a re-join failed); it is retried every REJOIN_RETRY_MS. */
  joined: boolean;
  /** Why the last attempt failed, while not joined. */
  error?: string;
}

/** How often groups that a re-join could not join are tried again. */
export const REJOIN_RETRY_MS = 1000;

export interface IgmpMembershipsOptions {
  openSocket: () => MembershipSocketLike;
  ifindexOf: (interfaceName: string) => number;
  /** Groups one socket may hold: the kernel's net.ipv4.igmp_max_memberships. */
  maxPerSocket?: number;
}

/** One membership socket and the groups it holds. */
interface SocketSlot {
  socket: MembershipSocketLike;
  groups: Set<string>;
}

/** The single owner of every membership on one interface. */
class InterfaceOwner {
  readonly slots: SocketSlot[] = [];
  /** group -> ids of the rules that need it */
  readonly refs = new Map<string, Set<string>>();
  /** group -> the slot that holds its membership */
  readonly holder = new Map<string, SocketSlot>();
  /** group -> why it could not be re-joined: needed by rules (in refs), not held by the kernel */
  readonly unjoined = new Map<string, string>();

  constructor(readonly name: string) {}
}

/**
 * IGMP memberships, owned in one place per interface and reference-counted by rule.
 *
 * The bug this exists to prevent: memberships held per (interface, group) socket, created and dropped as
 * rules came and went, interfered with each other and with 2+ rules every stream lost 100 %. Here a group
 * is joined once however many rules need it, and left only when the last rule that needs it is gone.
 *
 * The kernel caps memberships per socket (igmp_max_memberships, 20 by default, ENOBUFS past it); rather
 * than touch that sysctl, an interface's owner spreads its groups over as many sockets as it needs.
 */
export class IgmpMemberships {
  private readonly owners = new Map<string, InterfaceOwner>();
  private readonly maxPerSocket: number;
  private retryTimer: NodeJS.Timeout | undefined;
  readonly counters: IgmpCounters = { attempted: 0, succeeded: 0, failed: 0, left: 0 };

  constructor(private readonly options: IgmpMembershipsOptions) {
    this.maxPerSocket = options.maxPerSocket ?? readMaxMemberships();
  }

  /** Records that `ruleId` needs `group` on `iface`; joins when it is the first. Throws the join error. */
  acquire(iface: string, group: string, ruleId: string): void {
    const owner = this.ownerOf(iface);
    const refs = owner.refs.get(group);
    if (refs) {
      refs.add(ruleId);
      return;
    }
    const slot = this.join(owner, group);
    slot.groups.add(group);
    owner.holder.set(group, slot);
    owner.refs.set(group, new Set([ruleId]));
  }

  /** Records that `ruleId` no longer needs `group` on `iface`; leaves when no rule needs it. */
  release(iface: string, group: string, ruleId: string): void {
    const owner = this.owners.get(iface);
    const refs = owner?.refs.get(group);
    if (!owner || !refs || !refs.delete(ruleId) || refs.size > 0) return;
    owner.refs.delete(group);
    const slot = owner.holder.get(group);
    owner.holder.delete(group);
    owner.unjoined.delete(group); // never joined since the re-join: nothing to leave
    if (slot) {
      slot.groups.delete(group);
      try {
        slot.socket.leave(this.options.ifindexOf(iface), group, iface);
      } catch {
        // The interface may be gone (and with it the membership); closing below settles it either way.
      }
      this.counters.left++;
      if (slot.groups.size === 0) {
        slot.socket.close();
        owner.slots.splice(owner.slots.indexOf(slot), 1);
      }
    }
    if (owner.refs.size === 0) this.owners.delete(iface);
  }

  list(): Membership[] {
    const out: Membership[] = [];
    for (const owner of this.owners.values()) {
      for (const [group, refs] of owner.refs) {
        const error = owner.unjoined.get(group);
        out.push({ interface: owner.name, group, rules: [...refs].sort(), joined: error === undefined, ...(error === undefined ? {} : { error }) });
      }
    }
    return out.sort((a, b) => a.interface.localeCompare(b.interface) || a.group.localeCompare(b.group, 'en', { numeric: true }));
  }

  /**
   * Re-joins every membership on `iface` (after the interface came back: the kernel dropped them).
   * Never throws: a group that cannot be joined (the interface gone again, a kernel limit) is recorded
   * as not joined, shown so in list(), and tried again every REJOIN_RETRY_MS until it is joined or no
   * rule needs it. Returns the groups that failed, for a log line, as `<group> (<error>)`.
   */
  rejoin(iface: string): string[] {
    const owner = this.owners.get(iface);
    if (!owner) return [];
    for (const slot of owner.slots) slot.socket.close();
    owner.slots.length = 0;
    owner.holder.clear();
    owner.unjoined.clear();
    for (const group of owner.refs.keys()) this.tryJoin(owner, group);
    this.scheduleRetry();
    return [...owner.unjoined].map(([group, error]) => `${group} (${error})`);
  }

  /**
   * Tries the groups a re-join could not join again (the timer does it every REJOIN_RETRY_MS; an
   * interface event may do it sooner); returns those still failing as `<iface> <group> (<error>)`.
   */
  retryUnjoined(): string[] {
    const failing: string[] = [];
    for (const owner of this.owners.values()) {
      for (const group of [...owner.unjoined.keys()]) this.tryJoin(owner, group);
      for (const [group, error] of owner.unjoined) failing.push(`${owner.name} ${group} (${error})`);
    }
    this.scheduleRetry();
    return failing;
  }

  /** Leaves every group and closes every socket. */
  close(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    for (const owner of this.owners.values()) {
      for (const [group, refs] of [...owner.refs]) for (const rule of [...refs]) this.release(owner.name, group, rule);
    }
    this.owners.clear();
  }

  private ownerOf(iface: string): InterfaceOwner {
    let owner = this.owners.get(iface);
    if (!owner) {
      owner = new InterfaceOwner(iface);
      this.owners.set(iface, owner);
    }
    return owner;
  }

  /** Joins a group rules need already; a failure is recorded in `unjoined` instead of thrown. */
  private tryJoin(owner: InterfaceOwner, group: string): void {
    try {
      const slot = this.join(owner, group);
      slot.groups.add(group);
      owner.holder.set(group, slot);
      owner.unjoined.delete(group);
    } catch (err) {
      owner.unjoined.set(group, err instanceof Error ? err.message : String(err));
    }
  }

  /** Keeps a retry timer running exactly while some group waits to be joined. */
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

  private join(owner: InterfaceOwner, group: string): SocketSlot {
    this.counters.attempted++;
    let slot = owner.slots.find((s) => s.groups.size < this.maxPerSocket);
    const fresh = !slot;
    if (!slot) slot = { socket: this.options.openSocket(), groups: new Set() };
    try {
      slot.socket.join(this.options.ifindexOf(owner.name), group, owner.name);
    } catch (err) {
      this.counters.failed++;
      if (fresh) slot.socket.close();
      if (owner.refs.size === 0 && owner.slots.length === 0) this.owners.delete(owner.name);
      throw err;
    }
    if (fresh) owner.slots.push(slot);
    this.counters.succeeded++;
    return slot;
  }
}

function readMaxMemberships(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/igmp_max_memberships', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 20;
  } catch {
    return 20;
  }
}
