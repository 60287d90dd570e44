import { z } from 'zod';
import type { ConfigIssue } from './config-error.js';

// The building blocks of the relay's schemas (config file, state file, control requests): zod
// schemas whose every message names the expectation and the value received, in one wording, and the
// step that turns zod's issues into ConfigIssues with a field path ("rules[3].outputs[0].port").

/** A value as messages quote it: short, and "nothing" for a missing field. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function integer(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be ${min}..${max}, got ${describe(issue.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function number(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be a number ${min}..${max}, got ${describe(issue.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string, optionally matching `pattern` (`expectation` says what that means to a user). */
export function text(pattern?: RegExp, expectation?: string) {
  const error = (issue: { input?: unknown }) => `must be a non-empty string, got ${describe(issue.input)}`;
  const nonEmpty = z.string({ error }).min(1, { error, abort: true });
  if (!pattern) return nonEmpty;
  return nonEmpty.regex(pattern, { error: (issue) => `must be ${expectation ?? `like ${pattern}`}, got ${describe(issue.input)}` });
}

export function boolean() {
  return z.boolean({ error: (issue) => `must be true or false, got ${describe(issue.input)}` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, { error: (issue) => `must be one of ${choices.join(' | ')}, got ${describe(issue.input)}` });
}

/** Keys a JSON5 file may carry for editors and tools, not for the relay. */
const EDITOR_KEYS = new Set(['$schema']);

/**
 * An object that refuses keys it does not know: a typo must not silently become a default. The
 * message lists the keys it knows (each unknown key is reported at its own path).
 */
export function object<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).filter((k) => !EDITOR_KEYS.has(k));
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field (expected one of: ${known.join(', ')})` : `must be an object, got ${describe(issue.input)}`,
  });
}

export function array<T extends z.core.$ZodType>(item: T, minLength = 0) {
  return z
    .array(item, { error: (issue) => `must be an array, got ${describe(issue.input)}` })
    .min(minLength, { error: `must have at least ${minLength} element(s)` });
}

/** Whether a refinement may look at this value at all (it is still unchecked: read it defensively). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Stands in a refinement's message for the full path of another field, which the refinement cannot
 * know (it sees its own object, not where that sits): the zod issue's `params.otherField` gives that
 * field's path relative to the refined object, whose own path is the zod issue's path less as many keys.
 */
export const OTHER_FIELD = '\u0000other-field\u0000';

function formatPath(keys: readonly PropertyKey[], prefix: string): string {
  return keys.reduce<string>((p, key) => joinPath(p, typeof key === 'number' ? key : String(key)), prefix);
}

/**
 * Where a path's field sits in `value`, as a file reads top to bottom: at each level the position of
 * the key among the object's keys (or the array index); a missing field after the ones present.
 */
function documentPosition(value: unknown, keys: readonly PropertyKey[]): number[] {
  const position: number[] = [];
  let current = value;
  for (const key of keys) {
    const index = Array.isArray(current) ? Number(key) : isRecord(current) ? Object.keys(current).indexOf(String(key)) : -1;
    position.push(index < 0 ? Number.MAX_SAFE_INTEGER : index);
    current = isRecord(current) || Array.isArray(current) ? (current as Record<string, unknown>)[String(key)] : undefined;
  }
  return position;
}

function comparePositions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * zod's issues as ConfigIssues, each path under `prefix` ("rule", "state.rules[2]", or "" for a
 * file), in the order of `value`'s fields (zod reports a refinement's issues after its fields').
 */
export function configIssues(issues: readonly z.core.$ZodIssue[], prefix = '', value?: unknown): ConfigIssue[] {
  const ordered = value === undefined ? issues : issues.map((issue) => ({ issue, at: documentPosition(value, issue.path) })).sort((a, b) => comparePositions(a.at, b.at)).map((x) => x.issue);
  const out: ConfigIssue[] = [];
  for (const issue of ordered) {
    const path = formatPath(issue.path, prefix);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(path, key), message: issue.message });
    } else if (issue.code === 'custom' && Array.isArray(issue.params?.otherField)) {
      const other: PropertyKey[] = issue.params.otherField;
      const owner = issue.path.slice(0, issue.path.length - other.length);
      out.push({ path, message: issue.message.replace(OTHER_FIELD, formatPath([...owner, ...other], prefix)) });
    } else out.push({ path, message: issue.message });
  }
  return out;
}
