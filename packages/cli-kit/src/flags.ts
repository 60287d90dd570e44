import { z } from 'zod';
import { UsageError } from './usage-error.js';

// Flag values are strings; the limits they must meet are stated once elsewhere (a zod schema, or the
// limits module of the package that owns them). These schemas take a number or its text (so a
// command line and a TypeScript caller go through the same one), and every message has one wording:
// `--flag: must be ..., got VALUE`.

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A value as messages quote it: text in quotes, numbers as they are, "nothing" for a missing one. */
export function quote(value: unknown): string {
  return value === undefined ? 'nothing' : typeof value === 'string' ? JSON.stringify(value) : typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value));
}

/** An integer min..max, given as a number or as decimal text. */
export function integerValue(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be an integer ${min}..${max}, got ${quote(issue.input)}`;
  const int = z.int({ error }).min(min, { error }).max(max, { error });
  return z.union([int, z.string({ error }).regex(/^\s*\d+\s*$/, { error }).transform(Number).pipe(int)], { error });
}

/** A number min..max, given as a number or as its text. */
export function numberValue(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be a number ${min}..${max}, got ${quote(issue.input)}`;
  const num = z.number({ error }).min(min, { error }).max(max, { error });
  return z.union([num, z.string({ error }).trim().regex(NUMBER_TEXT, { error }).transform(Number).pipe(num)], { error });
}

/** One of `choices`. */
export function choiceValue<const T extends string>(choices: readonly T[]) {
  return z.enum(choices as unknown as [T, ...T[]], { error: (issue) => `must be one of ${choices.join(' | ')}, got ${quote(issue.input)}` });
}

/** A flag's value checked by a zod schema; the schema's message, naming the expectation and the value, follows the flag. */
export function schemaFlag<S extends z.ZodType>(value: string | undefined, flag: string, schema: S): z.output<S> | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(NUMBER_TEXT.test(value.trim()) ? Number(value) : value);
  if (result.success) return result.data;
  throw new UsageError(`${flag}: ${result.error.issues[0]!.message}`);
}

export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  return schemaFlag(value, flag, integerValue(min, max));
}

export function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  return schemaFlag(value, flag, numberValue(min, max));
}

export function choiceFlag<const T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  return schemaFlag(value, flag, choiceValue(choices));
}

/**
 * The first of zod's issues as a UsageError, the path's first key written as a flag
 * (`maxLoss` -> `--max-loss`): for options objects whose keys are their flags in camel case.
 */
export function usageErrorFrom(issues: readonly z.core.$ZodIssue[]): UsageError {
  const issue = issues[0]!;
  const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0];
  const flag = typeof key === 'string' ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'options';
  return new UsageError(issue.code === 'unrecognized_keys' ? `${flag}: unknown option` : `${flag}: ${issue.message}`);
}
