import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { choiceFlag, integerFlag, integerValue, numberFlag, parseCommandLine, reportUsageError, schemaFlag, usageErrorFrom, UsageError } from '../src/index.js';

function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('cli-kit', () => {
  it('parses strictly and names the flag of a usage error', () => {
    expect(parseCommandLine(['--n', '3', 'x'], { n: { type: 'string' } }, true)).toMatchObject({ values: { n: '3' }, positionals: ['x'] });
    expect(usage(() => parseCommandLine(['--frob'], {}))).toMatch(/^Unknown option '--frob'$/);
    expect(usage(() => parseCommandLine(['x'], {}))).toMatch(/^Unexpected argument 'x'/);
    expect(usage(() => parseCommandLine(['--n'], { n: { type: 'string' } }))).toMatch(/--n/);
  });

  it('checks numbers against limits with one wording', () => {
    expect(integerFlag('12', '--n', 1, 64)).toBe(12);
    expect(integerFlag(undefined, '--n', 1, 64)).toBeUndefined();
    expect(usage(() => integerFlag('65', '--n', 1, 64))).toBe('--n: must be an integer 1..64, got 65');
    expect(usage(() => integerFlag('1.5', '--n', 1, 64))).toBe('--n: must be an integer 1..64, got 1.5');
    expect(usage(() => integerFlag('many', '--n', 1, 64))).toBe('--n: must be an integer 1..64, got "many"');
    expect(numberFlag('0.5', '--t', 0, 1)).toBe(0.5);
    expect(usage(() => numberFlag('', '--t', 0, 1))).toBe('--t: must be a number 0..1, got ""');
    expect(usage(() => numberFlag('2', '--t', 0, 1))).toBe('--t: must be a number 0..1, got 2');
    expect(usage(() => numberFlag('fast', '--t', 0, 1))).toBe('--t: must be a number 0..1, got "fast"');
    expect(choiceFlag('b', '--c', ['a', 'b'])).toBe('b');
    expect(usage(() => choiceFlag('z', '--c', ['a', 'b']))).toBe('--c: must be one of a | b, got "z"');
  });

  it('checks a flag with a zod schema, whose message follows the flag', () => {
    const workers = z.int().min(1).max(64, { error: (i) => `must be 1..64, got ${String(i.input)}` });
    expect(schemaFlag('8', '--workers', workers)).toBe(8);
    expect(usage(() => schemaFlag('99', '--workers', workers))).toBe('--workers: must be 1..64, got 99');
  });

  it('takes numbers or their text through the same schema, and names an option by its flag', () => {
    const options = z.strictObject({ maxLoss: integerValue(0, 100) });
    expect(options.parse({ maxLoss: '7' })).toEqual({ maxLoss: 7 });
    expect(options.parse({ maxLoss: 7 })).toEqual({ maxLoss: 7 });
    expect(usageErrorFrom(options.safeParse({ maxLoss: 'lots' }).error!.issues).message).toBe('--max-loss: must be an integer 0..100, got "lots"');
    expect(usageErrorFrom(options.safeParse({ maxLoss: 1, maxLos: 1 }).error!.issues).message).toBe('--max-los: unknown option');
  });

  it('prints a usage error with the help hint and gives exit status 2', () => {
    let text = '';
    expect(reportUsageError(new UsageError('--n: bad'), 'mcr add', "Run 'mcr add --help' for usage.", (t) => (text += t))).toBe(2);
    expect(text).toBe("mcr add: --n: bad\nRun 'mcr add --help' for usage.\n");
    text = '';
    reportUsageError(new UsageError('missing <x>', { help: 'usage: tool x' }), 'tool', 'unused', (t) => (text += t));
    expect(text).toBe('tool: missing <x>\nusage: tool x\n');
  });
});
