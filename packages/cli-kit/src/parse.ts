import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;

/**
 * node:util parseArgs, strict, with its errors turned into UsageErrors. Node's messages already name
 * the flag ("Unknown option '--x'", "Option '--streams <value>' argument missing"); its advice about
 * positionals after "--" is dropped, since no CLI here takes such arguments.
 */
export function parseCommandLine<T extends FlagOptions>(args: string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ''), { cause: err });
  }
}
