import { readFileSync } from 'node:fs';
import JSON5 from 'json5';
import { ConfigError } from './config-error.js';
import { parseConfig } from './config-schema.js';
import type { RuleCheckOptions } from './rule-schema.js';
import type { RelayConfig } from './types.js';

/** Reads and validates a JSON5 config file. Every failure is a ConfigError naming the file. */
export function loadConfig(file: string, options: RuleCheckOptions): RelayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError([{ path: '', message: `cannot read config file ${file}: ${code}` }], { cause: err });
  }
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (err) {
    throw new ConfigError([{ path: '', message: `${file} is not valid JSON5: ${(err as Error).message}` }], { cause: err });
  }
  return parseConfig(value, options);
}
