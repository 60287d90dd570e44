import { z } from 'zod';
import { describe } from '@mcr/relay-native';
import type { ConfigIssue } from './config-error.js';

// The building blocks of the relay's schemas (config file, state file, control requests): zod
// schemas whose every message names the expectation and the value received, in one wording, and the
// step that turns zod's issues into ConfigIssues with a field path ("rules[3].outputs[0].port"). The
// field primitives are relay-native's, the ones its own argument checks use (one wording, one
// definition); what is the relay's own (strict objects, numbers, paths) is here.
export { array, boolean, describe, integer, oneOf, text } from '@mcr/relay-native';

export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function number(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be a number ${min}..${max}, got ${describe(issue.input)}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
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
