import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { z } from 'zod';
import { checkRule, type RuleCheckOptions } from '../config/rule-schema.js';
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

/**
 * The file's frame. Its rules are checked one by one afterwards (each as `mcr add` checks it), so
 * one that no longer passes is dropped alone.
 */
const stateFileSchema = z.object({ v: z.literal(1), rules: z.array(z.unknown()) });

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
  const frame = stateFileSchema.safeParse(value);
  if (!frame.success) throw new ConfigError([{ path: 'state', message: `${file}: expected {"v":1,"rules":[...]}` }]);
  const rules: Rule[] = [];
  const skipped: ConfigIssue[] = [];
  frame.data.rules.forEach((r, i) => {
    const checked = checkRule(r, options, `state.rules[${i}]`);
    if ('issues' in checked) skipped.push(...checked.issues);
    else if (checked.rule.id === undefined) skipped.push({ path: `state.rules[${i}].id`, message: 'a saved rule must have an id' });
    else rules.push({ ...checked.rule, id: checked.rule.id });
  });
  return { rules, skipped };
}
