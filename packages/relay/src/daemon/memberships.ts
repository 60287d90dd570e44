import { MembershipSocket } from '@mcr/relay-native';
import { RELAY_LIMITS } from '../config/limits.js';
import { ON_DEMAND, type Rule } from '../config/types.js';
import { ProtocolError } from '../control/protocol.js';
import { IgmpMemberships, type IgmpCounters, type Membership, type MembershipKey } from '../igmp/igmp-memberships.js';
import { formatIpAddress, parseIpAddress, rangeSize } from '@mcr/relay-native';
import type { InterfaceFactsCache } from '../net/interface-facts.js';

/** One membership one rule needs. */
export interface RuleJoin {
  rule: string;
  membership: MembershipKey;
}

/**
 * The memberships a rule needs on its input interface: its group, or each group of its range, any-source
 * or from its `source` (source-specific: IGMPv3/MLDv2 include mode). None with `join: false`.
 */
export function joinsOf(rule: Rule): MembershipKey[] {
  if (rule.join === false || rule.join === ON_DEMAND) return []; // on-demand joins follow the listeners (OnDemandJoins)
  const { interface: iface, family, group, prefixLength, source } = rule.input;
  const withSource = source === undefined ? {} : { source };
  if (prefixLength === undefined) return [{ interface: iface, family, group, ...withSource }];
  const base = parseIpAddress(group)!;
  // The schema refuses a joined range above the limit; a table that got here anyway must not make the
  // daemon join 2^96 groups.
  const size = rangeSize({ base, prefixLength });
  if (size > BigInt(RELAY_LIMITS.maxJoinedGroupsPerRange)) {
    throw new ProtocolError('EINVAL', `rule ${rule.id}: a range of ${size} groups joins at most ${RELAY_LIMITS.maxJoinedGroupsPerRange} (RELAY_LIMITS.maxJoinedGroupsPerRange); it needs join: false`);
  }
  const joins: MembershipKey[] = [];
  for (let i = 0n; i < size; i++) joins.push({ interface: iface, family, group: formatIpAddress(family, base.value + i), ...withSource });
  return joins;
}

function joinKey(j: RuleJoin): string {
  const m = j.membership;
  return `${j.rule}|${m.interface}|${m.group}|${m.source ?? ''}`;
}

/**
 * What a rule change does to memberships: the (rule, membership) pairs to take and to give up. A rule
 * replaced in place (same id, e.g. by a reload) keeps what both its versions need: acquiring and then
 * releasing the same (rule, membership) would leave the group.
 */
export function planJoins(added: readonly Rule[], removed: readonly Rule[]): { joining: RuleJoin[]; leaving: RuleJoin[] } {
  const pairs = (rules: readonly Rule[]) => rules.flatMap((r) => joinsOf(r).map((membership) => ({ rule: r.id, membership })));
  const after = pairs(added);
  const before = pairs(removed);
  const afterKeys = new Set(after.map(joinKey));
  const beforeKeys = new Set(before.map(joinKey));
  return { joining: after.filter((j) => !beforeKeys.has(joinKey(j))), leaving: before.filter((j) => !afterKeys.has(joinKey(j))) };
}

/**
 * The IGMP/MLD memberships the rules need, reference counted by rule id in IgmpMemberships. With
 * `igmp.join: false` nothing is joined (passive mode). Work is proportional to the rules that change,
 * never to the whole table.
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

  /** Joins what `joins` need, all or nothing: on a failure, releases what it took and throws EJOIN. */
  acquire(joins: readonly RuleJoin[]): void {
    if (!this.enabled) return;
    const taken: RuleJoin[] = [];
    try {
      for (const j of joins) {
        this.igmp.acquire(j.membership, j.rule);
        taken.push(j);
      }
    } catch (err) {
      this.release(taken);
      throw new ProtocolError('EJOIN', `joining a multicast group failed: ${(err as Error).message}`);
    }
  }

  /** Gives up what `joins` held; a membership is left when no other rule needs it. */
  release(joins: readonly RuleJoin[]): void {
    if (!this.enabled) return;
    for (const j of joins) this.igmp.release(j.membership, j.rule);
  }

  /**
   * The interface came back with a new ifindex: the kernel dropped its memberships. Returns those that
   * could not be joined again, as `<group>[ from <source>] (<error>)`; IgmpMemberships retries them.
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
