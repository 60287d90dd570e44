import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import type { RelayConfig, Rule } from '../config/types.js';
import { RuleTable } from '../rules/rule-table.js';
import type { RuleChange } from './rule-apply.js';

/** What a reload did (the answer to `mcr reload`, and the log line of a SIGHUP). */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
  /** Rules added at runtime (control socket or state file) that the file does not name: kept. */
  kept: string[];
  /** Every rule that waits after the reload (an interface absent), file and runtime rules alike. */
  pending: string[];
  /** Settings that differ in the file but take effect only at the next start. */
  ignoredUntilRestart: Array<{ setting: string; running: unknown; file: unknown }>;
  /** Settings the reload applied (live). */
  applied: string[];
}

export interface ReloadPlan {
  next: RuleTable;
  change: RuleChange;
  summary: ReloadSummary;
}

/**
 * The table a reload moves to: the file's rules, plus the rules added at runtime whose id the file
 * does not name (the file wins for every id it names). Throws ConfigError when the two cannot live in
 * one table (two rules on one input), with paths under `rules[i]` for the file and `runtime.<id>` for
 * the others. Pure: nothing is touched until the caller applies `change`.
 */
export function planReload(current: RuleTable, runtimeIds: ReadonlySet<string>, fileRules: readonly Rule[]): ReloadPlan {
  const named = new Set(fileRules.map((r) => r.id));
  const kept = current.list().filter((r) => runtimeIds.has(r.id) && !named.has(r.id));
  const rules = [...fileRules, ...kept];
  const next = RuleTable.from(rules, (i) => (i < fileRules.length ? `rules[${i}]` : `runtime.${rules[i]!.id}`));

  const added: Rule[] = [];
  const removed: Rule[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const rule of fileRules) {
    const old = current.get(rule.id);
    if (!old) added.push(rule);
    else if (isDeepStrictEqual(old, rule)) unchanged++;
    else {
      changed.push(rule.id);
      removed.push(old);
      added.push(rule);
    }
  }
  for (const rule of current.list()) if (!next.has(rule.id)) removed.push(rule);
  unchanged += kept.length;
  return {
    next,
    change: { added, removed },
    summary: {
      added: added.filter((r) => !changed.includes(r.id)).map((r) => r.id),
      removed: removed.filter((r) => !changed.includes(r.id)).map((r) => r.id),
      changed,
      unchanged,
      kept: kept.map((r) => r.id),
      pending: [],
      ignoredUntilRestart: [],
      applied: [],
    },
  };
}

/** Settings a running relay cannot change: the workers, their sockets, the reflectors' sockets and the control socket are built from them. */
const RESTART_ONLY = ['workers', 'fanout', 'dataPlane', 'igmp', 'control', 'testOnly', 'metrics', 'statsInterval', 'logFormat', 'reflectors'] as const satisfies ReadonlyArray<keyof RelayConfig>;

export function restartOnlyDifferences(running: RelayConfig, file: RelayConfig): ReloadSummary['ignoredUntilRestart'] {
  return RESTART_ONLY.filter((k) => !isDeepStrictEqual(running[k], file[k])).map((setting) => ({ setting, running: running[setting] ?? null, file: file[setting] ?? null }));
}

export { ConfigError };
