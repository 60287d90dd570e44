import { loadConfig } from '../config/load-config.js';
import { interfaceExists } from '../net/interfaces.js';
import { parseCommandLine, UsageError } from '@mcr/cli-kit';

/**
 * `mcr validate --config FILE`: the checks `mcr run` makes, without starting anything. Exit 0 when
 * valid; an invalid file throws ConfigError, which the CLI prints one problem per line with its field
 * path, exit 2. Interfaces are looked up in this network namespace unless --skip-interfaces (checking
 * a file on another host than the relay's).
 */
export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { config: { type: 'string' }, 'skip-interfaces': { type: 'boolean' } });
  if (!values.config) throw new UsageError('--config FILE is required');
  const skip = values['skip-interfaces'] === true;
  const config = loadConfig(values.config, skip ? { interfaceExists: () => true, isEthernet: () => true } : { interfaceExists });
  const inputs = new Set(config.rules.map((r) => r.input.interface));
  process.stdout.write(`${values.config}: valid (${config.rules.length} rule(s) on ${inputs.size} input interface(s)${skip ? '; interfaces not checked' : ''})\n`);
  return 0;
}
