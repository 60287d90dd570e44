import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ConfigIssue } from '../config/config-error.js';
import { z } from 'zod';
import { checkRule, type RuleCheckOptions } from '../config/rule-schema.js';
import type { Rule } from '../config/types.js';

/**
 * `mcr run --state FILE`: the rules added at runtime (control socket), kept across restarts. The file's
 * rules are not in it: the config file is their home. Written whole on every change, atomically
 * (a temporary file in the same directory, fsync, rename, fsync of the directory), so a crash leaves
 * the old set or the new.
 */
/** The state file's format version (its `v`). */
export const STATE_FILE_VERSION = 1;

export interface StateFileContents {
  v: typeof STATE_FILE_VERSION;
  rules: readonly Rule[];
}

/**
 * The file's frame. Its rules are checked one by one afterwards (each as `mcr add` checks it), so
 * one that no longer passes is dropped alone.
 */
const stateFileSchema = z.object({ v: z.literal(STATE_FILE_VERSION), rules: z.array(z.unknown()) });

/** The bytes a state file holding `rules` has. */
export function stateFileText(rules: readonly Rule[]): string {
  return `${JSON.stringify({ v: STATE_FILE_VERSION, rules } satisfies StateFileContents, null, 2)}\n`;
}

/** A new state file written beside the old one and synced, waiting to replace it (or to be discarded). */
export interface PreparedStateFile {
  readonly text: string;
  /** Puts it in place of the old file (rename), then syncs the directory so the rename is durable. */
  commit(): void;
  /** Removes it; the old file stays as it was. */
  discard(): void;
}

/**
 * Writes the state holding `rules` to a temporary file next to `file` and syncs it. Throws (the
 * temporary file removed) when any byte cannot be written: a full disk (ENOSPC) must never leave a
 * truncated file to be renamed over a good one. The temporary file is created exclusively and never
 * through a symlink (O_EXCL | O_NOFOLLOW): whoever else can write to the directory cannot make the
 * relay write somewhere else.
 */
export function prepareStateFile(file: string, rules: readonly Rule[]): PreparedStateFile {
  const text = stateFileText(rules);
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      writeAll(fd, Buffer.from(text, 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  let settled = false;
  return {
    text,
    commit() {
      if (settled) throw new Error(`state file ${file}: this write was settled already`);
      settled = true;
      try {
        renameSync(tmp, file);
      } catch (err) {
        removeQuietly(tmp);
        throw err;
      }
      syncDirectory(dir);
    },
    discard() {
      if (settled) return;
      settled = true;
      removeQuietly(tmp);
    },
  };
}

/** prepareStateFile and commit at once. */
export function writeStateFile(file: string, rules: readonly Rule[]): void {
  prepareStateFile(file, rules).commit();
}

/** write(2) may write fewer bytes than asked (a disk that fills up): write the rest, or fail with its errno. */
function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error(`short write: ${done} of ${bytes.length} bytes written`), { code: 'EIO' });
    done += n;
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or the directory went away: nothing left to clean
  }
}

/** A state file that exists but cannot be read, is not JSON or is not a state file. */
export class StateFileUnreadable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileUnreadable';
  }
}

/**
 * The rules a state file holds, each checked as `mcr add` checks it (against `options`' interface
 * lookups). A missing file is an empty set; a rule that no longer passes is returned in `skipped`
 * with its issues, so the relay starts with the others and says what it dropped. A file that cannot
 * be read or parsed as a whole throws StateFileUnreadable.
 */
export function readStateFile(file: string, options: RuleCheckOptions): { rules: Rule[]; skipped: ConfigIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rules: [], skipped: [] };
    throw new StateFileUnreadable(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateFileUnreadable(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const frame = stateFileSchema.safeParse(value);
  if (!frame.success) throw new StateFileUnreadable(`${file}: expected {"v":1,"rules":[...]}`);
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
