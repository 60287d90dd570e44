import type { Rule } from '../config/types.js';
import { ProtocolError } from '../control/protocol.js';
import type { Logger } from '../log.js';
import type { RuleTable } from '../rules/rule-table.js';
import { TableRefused } from '../workers/worker-pool.js';
import type { InputPools } from './input-pools.js';
import { planJoins, type RuleMemberships } from './memberships.js';

/** What a change does to the rule table; the work of applying it is proportional to this. */
export interface RuleChange {
  added: readonly Rule[];
  removed: readonly Rule[];
}

export interface ApplyContext {
  pools: InputPools;
  memberships: RuleMemberships;
  log: Logger;
}

/**
 * Moves the relay from `current` to `next` as one transaction: join the new groups, send the new
 * tables of the affected input interfaces to every worker (starting pools for new interfaces) and
 * wait until each has applied its table; then leave what is no longer needed. If any worker refuses
 * or does not answer, every worker that took a new table gets its previous one back, new pools stop,
 * the joins are released, and the caller hears EAPPLY naming the worker and its reason: the relay is
 * left exactly as it was.
 */
export async function applyRuleChange(ctx: ApplyContext, current: RuleTable, next: RuleTable, change: RuleChange): Promise<void> {
  const { pools, memberships, log } = ctx;
  const affected = new Set([...change.added, ...change.removed].map((r) => r.input.interface).filter((iface) => !pools.missing.has(iface)));

  const { joining, leaving } = planJoins(change.added, change.removed);
  memberships.acquire(joining);

  const sent: string[] = [];
  const created: string[] = [];
  const emptied: string[] = [];
  const attempts = [...affected].map(async (iface) => {
    if (next.rulesOn(iface).length === 0) {
      emptied.push(iface); // stopped once the change is in: no rule reads this interface any more
      return;
    }
    const table = pools.tableFor(iface, next);
    const pool = pools.get(iface);
    if (pool) {
      sent.push(iface);
      await pool.setRules(table);
    } else {
      created.push(iface);
      await pools.start(iface, table); // stops its own pool when it fails
    }
  });
  const failures = (await Promise.allSettled(attempts)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));

  if (failures.length > 0) {
    await Promise.all(
      sent.map(async (iface) => {
        try {
          await pools.get(iface)?.setRules(pools.tableFor(iface, current));
        } catch (err) {
          log.error(`rolling back the rule table of ${iface}: ${(err as Error).message}`);
        }
      }),
    );
    await Promise.all(created.map((iface) => pools.stop(iface)));
    memberships.release(joining);
    const first = failures.find((f) => f instanceof TableRefused) ?? failures[0];
    if (first instanceof TableRefused) {
      log.warn(`rule change refused by worker ${first.worker} and rolled back: ${first.reason}`);
      throw new ProtocolError('EAPPLY', first.message);
    }
    throw first;
  }

  memberships.release(leaving);
  await Promise.all(emptied.map((iface) => pools.stop(iface)));
  for (const iface of pools.missing) if (next.rulesOn(iface).length === 0) pools.missing.delete(iface);
}
