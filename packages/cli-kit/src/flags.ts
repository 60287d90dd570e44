import { z } from 'zod';
import { UsageError } from './usage-error.js';

// Flag values are strings; the limits they must meet are stated once elsewhere (a zod schema, or the
// limits module of the package that owns them). These turn one into the other, with one wording:
// `--flag: must be ..., got "value"`.

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A flag's value checked by a zod schema (numbers are given to it as numbers); the schema's message,
 * which names the expectation and the value, follows the flag.
 */
export function schemaFlag<T>(value: string | undefined, flag: string, schema: z.ZodType<T>): T | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(NUMBER_TEXT.test(value.trim()) ? Number(value) : value);
  if (result.success) return result.data;
  throw new UsageError(`${flag}: ${result.error.issues[0]!.message}`);
}

export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag}: must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

export function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!NUMBER_TEXT.test(value.trim()) || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag}: must be a number ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

export function choiceFlag<const T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag}: must be one of ${choices.join(' | ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
