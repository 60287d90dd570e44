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
}

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
  /** Groups rules need whose re-join failed: no slot holds them until retryUnjoined() succeeds. */
  readonly unjoined = new Set<string>();

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
    owner.unjoined.delete(group);
    const slot = owner.holder.get(group);
    if (!slot) {
      // Its re-join had failed: there is no membership to leave.
      if (owner.refs.size === 0 && owner.slots.length === 0) this.owners.delete(iface);
      return;
    }
    owner.holder.delete(group);
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
    if (owner.refs.size === 0) this.owners.delete(iface);
  }

  /** The memberships held now (a group whose re-join failed is not one). */
  list(): Membership[] {
    const out: Membership[] = [];
    for (const owner of this.owners.values()) {
      for (const [group, refs] of owner.refs) if (owner.holder.has(group)) out.push({ interface: owner.name, group, rules: [...refs].sort() });
    }
    return out.sort((a, b) => a.interface.localeCompare(b.interface) || a.group.localeCompare(b.group, 'en', { numeric: true }));
  }

  /**
   * Re-joins every membership on `iface` (after the interface came back: the kernel dropped them).
   * Every group is tried; one whose join fails stays needed but unjoined (retryUnjoined() tries it
   * again), so the bookkeeping always says what the kernel holds. Returns the groups that failed.
   */
  rejoin(iface: string): string[] {
    const owner = this.owners.get(iface);
    if (!owner) return [];
    for (const slot of owner.slots) slot.socket.close();
    owner.slots.length = 0;
    owner.holder.clear();
    for (const group of owner.refs.keys()) owner.unjoined.add(group);
    return this.joinUnjoined(owner);
  }

  /** Tries the groups whose re-join failed again; returns those that still fail, as `iface group`. */
  retryUnjoined(): string[] {
    return [...this.owners.values()].flatMap((owner) => this.joinUnjoined(owner).map((g) => `${owner.name} ${g}`));
  }

  private joinUnjoined(owner: InterfaceOwner): string[] {
    const failed: string[] = [];
    for (const group of [...owner.unjoined]) {
      try {
        const slot = this.join(owner, group);
        slot.groups.add(group);
        owner.holder.set(group, slot);
        owner.unjoined.delete(group);
      } catch {
        failed.push(group);
      }
    }
    return failed;
  }

  /** Leaves every group and closes every socket. */
  close(): void {
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
