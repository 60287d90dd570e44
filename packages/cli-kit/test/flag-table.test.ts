import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkFlags, defaultsAcross, flagsSynopsis, integerValue, optionsHelp, parseFlags, UsageError, type Flags } from '../src/index.js';

const FLAGS = {
  workers: { value: 'N', schema: integerValue(1, 64).default(1).describe('workers per input'), note: 'overrides "workers"' },
  mode: { value: 'M', schema: z.enum(['hash', 'cpu']).default('hash').describe('fanout mode') },
  output: { value: 'SPEC', multiple: true, help: 'where to send (repeatable)' },
  vlan: { value: 'N', schema: integerValue(0, 1e9), describedBy: integerValue(1, 4095).describe('802.1Q VLAN id') },
  json: { help: 'print JSON' },
} as const satisfies Flags;

describe('flag tables', () => {
  it('parse strictly and check each value with its schema, typed', () => {
    const { values } = parseFlags(['--workers', '3', '--mode', 'cpu', '--output', 'a', '--output', 'b', '--json'], FLAGS);
    expect(values).toEqual({ workers: 3, mode: 'cpu', output: ['a', 'b'], json: true });
    expect(() => parseFlags(['--workers', '65'], FLAGS)).toThrow(UsageError);
    expect(() => parseFlags(['--workers', '65'], FLAGS)).toThrow(/^--workers: must be an integer 1\.\.64, got 65$/);
    expect(() => parseFlags(['--mode', 'lb'], FLAGS)).toThrow(/--mode/);
    expect(() => parseFlags(['--frob'], FLAGS)).toThrow(/Unknown option '--frob'/);
    // An absent flag stays absent: a schema's default is for the help, never applied here.
    expect(parseFlags([], FLAGS).values).toEqual({});
  });

  it('derive the help from the schemas: description, range or choices, default', () => {
    const help = optionsHelp(FLAGS);
    expect(help).toMatch(/--workers N +workers per input; overrides "workers" \(1\.\.64; default 1\)/);
    expect(help).toMatch(/--mode M +fanout mode \(hash \| cpu; default hash\)/);
    expect(help).toMatch(/--output SPEC \.\.\. +where to send \(repeatable\)/);
    expect(help).toMatch(/--vlan N +802\.1Q VLAN id \(1\.\.4095\)/);
    expect(help).toMatch(/-h, --help +this help/);
  });

  it('check values split already, after the command has looked at its positionals', () => {
    expect(checkFlags({ workers: '3', json: true, other: 'x', mode: undefined }, FLAGS)).toEqual({ workers: 3, json: true });
    expect(() => checkFlags({ workers: '0' }, FLAGS)).toThrow(/^--workers: must be an integer 1\.\.64, got 0$/);
  });

  it('give a usage line its flags, or [options] when there are many', () => {
    expect(flagsSynopsis({ prefix: { value: 'P' }, all: {} })).toBe('[--prefix P] [--all]');
    expect(flagsSynopsis(FLAGS)).toBe('[options]');
    expect(flagsSynopsis({})).toBe('');
  });

  it('say a default that differs by case: the common one, then each that differs', () => {
    const byCase = [{ name: 'a', value: '4' }, { name: 'b', value: '4' }, { name: 'c', value: '16' }];
    expect(defaultsAcross(byCase)).toBe('default 4, c 16');
    expect(defaultsAcross([{ name: 'a', value: '1' }, { name: 'b', value: '2' }])).toBe('a 1, b 2');
  });
});
