import { loadConfig } from '../config/load-config.js';
import { absentInterfaces } from '../config/rule-schema.js';
import type { RelayConfig } from '../config/types.js';
import { interfaceExists } from '../net/interfaces.js';
import { parseFlags, UsageError, type Flags } from '@mcr/cli-kit';

export const VALIDATE_FLAGS = {
  config: { value: 'FILE', help: 'the JSON5 config file to check (required)' },
  'skip-interfaces': { help: 'leave interfaces unchecked (a file meant for another host)' },
} as const satisfies Flags;

/**
 * `mcr validate --config FILE`: the checks `mcr run` makes, without starting anything. Exit 0 when
 * valid; an invalid file throws ConfigError, which the CLI prints one problem per line with its field
 * path, exit 2. Interfaces are looked up in this network namespace unless --skip-interfaces (checking
 * a file on another host than the relay's). Under `waitForInterfaces: true` an absent interface is
 * not a problem but a warning: its rule would start pending.
 */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, VALIDATE_FLAGS);
  if (!values.config) throw new UsageError('--config FILE is required');
  const skip = values['skip-interfaces'] === true;
  const config = loadConfig(values.config, skip ? { interfaceExists: () => true, isEthernet: () => true } : { interfaceExists });
  const inputs = new Set(config.rules.map((r) => r.input.interface));
  process.stdout.write(`${values.config}: valid (${config.rules.length} rule(s) on ${inputs.size} input interface(s)${skip ? '; interfaces not checked' : ''})\n`);
  if (!skip) for (const w of pendingWarnings(config)) process.stderr.write(`warning: ${w}\n`);
  return 0;
}

/** One line per interface a rule waits for, with the path of the field that names it. */
function pendingWarnings(config: RelayConfig): string[] {
  return config.rules.flatMap((rule, i) => {
    const absent = new Set(absentInterfaces(rule, interfaceExists));
    const fields = [
      { path: `rules[${i}].input.interface`, name: rule.input.interface },
      ...rule.outputs.map((o, j) => ({ path: `rules[${i}].outputs[${j}].interface`, name: o.interface })),
    ];
    return fields.filter((f) => absent.has(f.name)).map((f) => `${f.path}: interface "${f.name}" is absent: the rule waits for it (waitForInterfaces)`);
  });
}
