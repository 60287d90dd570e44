import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { parseRule, type RuleCheckOptions } from '../config/rule-schema.js';
import type { Rule } from '../config/types.js';

/**
 * `mcr run --state FILE`: the rules added at runtime (control socket), kept across restarts. The file's
 * rules are not in it: the config file is their home. Written whole on every change, atomically
 * (a temporary file in the same directory, fsync, rename), so a crash leaves the old set or the new.
 */
export interface StateFileContents {
  v: 1;
  rules: readonly Rule[];
}

export function writeStateFile(file: string, rules: readonly Rule[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ v: 1, rules } satisfies StateFileContents, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * The rules a state file holds, each checked as `mcr add` checks it. A missing file is an empty set;
 * a rule that no longer passes (its interface gone) is returned in `skipped` with its issues, so the
 * relay starts with the others and says what it dropped.
 */
export function readStateFile(file: string, options: RuleCheckOptions): { rules: Rule[]; skipped: ConfigIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rules: [], skipped: [] };
    throw new ConfigError([{ path: 'state', message: `cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: 'state', message: `${file} is not JSON: ${(err as Error).message}` }], { cause: err });
  }
  const raw = (value as { v?: unknown; rules?: unknown } | null) ?? {};
  if (raw.v !== 1 || !Array.isArray(raw.rules)) throw new ConfigError([{ path: 'state', message: `${file}: expected {"v":1,"rules":[...]}` }]);
  const rules: Rule[] = [];
  const skipped: ConfigIssue[] = [];
  raw.rules.forEach((r, i) => {
    try {
      const rule = parseRule(r, options, `state.rules[${i}]`);
      if (rule.id === undefined) skipped.push({ path: `state.rules[${i}].id`, message: 'a saved rule must have an id' });
      else rules.push({ ...rule, id: rule.id });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      skipped.push(...err.issues);
    }
  });
  return { rules, skipped };
}
