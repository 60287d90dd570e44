import type { Rule } from '../config/types.js';

/**
 * A rule the relay keeps but does not run yet: an interface it names does not exist (a saved rule,
 * or a config rule under `waitForInterfaces`), or, once they all exist, what stops it from joining
 * the table. `mcr list` and `mcr stats --json` show it; the state file keeps it; every interface
 * watcher poll tries it again.
 */
export interface PendingRule {
  id: string;
  /** Why it waits, e.g. `interface x is absent`. */
  reason: string;
  rule: Rule;
}

/** The reason a rule waits for `absent` (non-empty) interfaces. */
export function absenceReason(absent: readonly string[]): string {
  return absent.length === 1 ? `interface ${absent[0]} is absent` : `interfaces ${absent.join(', ')} are absent`;
}
