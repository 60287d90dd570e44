import type { ConfigIssue } from './config-error.js';

// Small readers for untrusted JSON: each one checks one field, records an issue that names the
// field's path when it is wrong, and returns undefined in that case so checking can go on and
// report every problem at once.

export class FieldReader {
  readonly issues: ConfigIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(path, `must be an object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }

  /** Reports keys the schema does not know: a typo must not silently become a default. */
  onlyKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(join(path, key), `unknown field (expected one of: ${allowed.join(', ')})`);
      }
    }
  }

  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(path, `must be ${min}..${max}, got ${describe(value)}`);
    }
    return value;
  }

  number(value: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return this.fail(path, `must be a number ${min}..${max}, got ${describe(value)}`);
    }
    return value;
  }

  string(value: unknown, path: string, pattern?: RegExp, expectation?: string): string | undefined {
    if (typeof value !== 'string' || value.length === 0) {
      return this.fail(path, `must be a non-empty string, got ${describe(value)}`);
    }
    if (pattern && !pattern.test(value)) {
      return this.fail(path, `must be ${expectation ?? `like ${pattern}`}, got ${describe(value)}`);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== 'boolean') return this.fail(path, `must be true or false, got ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T | undefined {
    if (typeof value !== 'string' || !choices.includes(value as T)) {
      return this.fail(path, `must be one of ${choices.join(' | ')}, got ${describe(value)}`);
    }
    return value as T;
  }

  array(value: unknown, path: string, minLength = 0): unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be an array, got ${describe(value)}`);
    if (value.length < minLength) return this.fail(path, `must have at least ${minLength} element(s)`);
    return value;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}
