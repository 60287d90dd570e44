import { MembershipSocket } from '@mcr/relay-native';
import type { Rule } from '../config/types.js';
import { ProtocolError } from '../control/protocol.js';
import { IgmpMemberships, type IgmpCounters, type Membership } from '../igmp/igmp-memberships.js';
import type { InterfaceFactsCache } from '../net/interface-facts.js';

/**
 * The IGMP memberships the rules need: each rule holds (input interface, input group), reference
 * counted by rule id in IgmpMemberships. With `igmp.join: false` nothing is joined (passive mode).
 * Work is proportional to the rules that change, never to the whole table.
 */
export class RuleMemberships {
  private readonly igmp: IgmpMemberships;

  constructor(
    private readonly enabled: boolean,
    facts: InterfaceFactsCache,
  ) {
    this.igmp = new IgmpMemberships({
      openSocket: () => new MembershipSocket(),
      ifindexOf: (name) => {
        const f = facts.get(name);
        if (!f) throw new Error(`interface "${name}" does not exist in this network namespace`);
        return f.ifindex;
      },
    });
  }

  /** Joins what `rules` need, all or nothing: on a failure, releases what it took and throws EJOIN. */
  acquire(rules: readonly Rule[]): void {
    if (!this.enabled) return;
    const taken: Rule[] = [];
    try {
      for (const r of rules) {
        this.igmp.acquire(r.input.interface, r.input.group, r.id);
        taken.push(r);
      }
    } catch (err) {
      this.release(taken);
      throw new ProtocolError('EJOIN', `IGMP join failed: ${(err as Error).message}`);
    }
  }

  /** Gives up what `rules` held; a group is left when no other rule needs it. */
  release(rules: readonly Rule[]): void {
    if (!this.enabled) return;
    for (const r of rules) this.igmp.release(r.input.interface, r.input.group, r.id);
  }

  /**
   * The interface came back with a new ifindex: the kernel dropped its memberships. Returns the groups
   * that could not be joined again, as `<group> (<error>)`; IgmpMemberships retries them.
   */
  rejoin(iface: string): string[] {
    return this.enabled ? this.igmp.rejoin(iface) : [];
  }

  list(): Membership[] {
    return this.igmp.list();
  }

  get counters(): IgmpCounters {
    return { ...this.igmp.counters };
  }

  close(): void {
    this.igmp.close();
  }
}
