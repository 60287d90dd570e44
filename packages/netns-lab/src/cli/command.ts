// The shape of a lab command line: commands keyed by their words (`topo up`), each with its flags,
// and the dispatcher that picks one, parses its flags (strict, through @mcr/cli-kit), prints help
// and turns errors into exit statuses. A program (mcr-lab) composes its table from the lab's
// commands and its own.
import { parseCommandLine, reportUsageError, UsageError, type FlagOptions } from '@mcr/cli-kit';
import { LabInterrupted } from '../topology/index.js';

export { UsageError };

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  /** Words that select the command, e.g. ['topo', 'up']. */
  words: string[];
  usage: string;
  summary: string;
  options: FlagOptions;
  allowPositionals: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], io: Io): Promise<number>;
}

/** A program: its name (in messages) and its command table, in the order its help lists them. */
export interface Program {
  name: string;
  commands: Command[];
}

export const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A usage error of `command`: printed with that command's help, exit status 2. */
export function usage(message: string, command: Command): UsageError {
  return new UsageError(message, { help: helpOf(command) });
}

export const STDIO: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

export function helpOf(c: Command): string {
  return `usage: ${c.usage}\n  ${c.summary}`;
}

function topHelp(program: Program): string {
  return [`usage: ${program.name} <command> [options]   (--help on any command)`, '', ...program.commands.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
}

/** Runs `program` on `argv`; returns the exit status. */
export async function runProgram(program: Program, argv: string[], io: Io = STDIO): Promise<number> {
  const commands = program.commands;
  const command = commands.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length)[0];
  try {
    if (!command) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
        io.out(topHelp(program));
        return argv.length === 0 ? 2 : 0;
      }
      const group = commands.filter((c) => c.words[0] === argv[0]);
      if (group.length && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
        io.out(group.map(helpOf).join('\n'));
        return argv.length === 1 ? 2 : 0;
      }
      throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"`);
    }
    const parsed = parseCommandLine(argv.slice(command.words.length), command.options, command.allowPositionals);
    if (parsed.values.help) {
      io.out(helpOf(command));
      return 0;
    }
    return await command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, program.name, command ? helpOf(command) : topHelp(program), (text) => io.err(text.replace(/\n$/, '')));
    if (err instanceof LabInterrupted) {
      io.err(`${program.name}: ${err.message}`);
      return 130;
    }
    io.err(`${program.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

