import { ConfigError } from './config/config-error.js';
import { ControlClientError } from './control/control-client.js';
import { reportUsageError, UsageError } from '@mcr/cli-kit';
import { HELP, VERSION } from './cli/help.js';
import { runCommand } from './cli/run-command.js';
import { validateCommand } from './cli/validate-command.js';
import { addCommand, listCommand, pingCommand, reloadCommand, reflectorsCommand, removeCommand, statsCommand } from './cli/client-commands.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  add: addCommand,
  remove: removeCommand,
  list: listCommand,
  stats: statsCommand,
  reflectors: reflectorsCommand,
  ping: pingCommand,
  reload: reloadCommand,
  validate: validateCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`mcr: unknown command "${command}"\n\n${HELP.main}\n`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(`${HELP[command]}\n`);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, `mcr ${command}`, `Run 'mcr ${command} --help' for usage.`);
    if (err instanceof ConfigError) {
      process.stderr.write(`mcr ${command}: invalid configuration:\n${err.issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n')}\n`);
      return 2;
    }
    if (err instanceof ControlClientError) {
      process.stderr.write(`mcr ${command}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`mcr ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
