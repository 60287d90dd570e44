// The shape of a lab command line: commands keyed by their words (`topo up`), each with its flag
// table (@mcr/cli-kit: each flag's schema checks its value and gives the help its description, range
// and default), and the dispatcher that picks one, parses its flags strictly, prints help and turns
// errors into exit statuses. A program (mcr-lab) composes its table from the lab's commands and its own.
import { flagsSynopsis, optionsHelp, parseArgsOptions, parseCommandLine, reportUsageError, UsageError, type Flags } from '@mcr/cli-kit';
import { LabInterrupted } from '../topology/index.js';

export { UsageError };

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** A flag's value as the command line gave it: text, true for a switch, absent when not given. */
export type RawValues = Record<string, string | boolean | undefined>;

export interface Command {
  /** Words that select the command, e.g. ['topo', 'up']. */
  words: string[];
  /** The positionals as the usage line shows them, e.g. `<prefix>`; absent: none. */
  args?: string;
  summary: string;
  /** Every flag but --help (added to each command); the usage line and the options block are derived from it. */
  flags: Flags;
  allowPositionals: boolean;
  /**
   * The help for these positionals (`run <scenario> --help`): the flags as that case takes them
   * (their defaults, only those that apply) and what follows the options. Absent: `flags`, nothing after.
   */
  help?: (positionals: string[]) => { flags?: Flags; after?: string };
  /**
   * Runs with the values as text, unchecked: the command checks its positionals, then the values with
   * checkFlags (or a schema built from the same table), so an error names what is wrong first.
   */
  run(values: RawValues, positionals: string[], io: Io): Promise<number>;
}

/** A program: its name (in usage lines and messages) and its command table, in the order its help lists them. */
export interface Program {
  name: string;
  commands: Command[];
}

const HELP_FLAG = { help: { short: 'h' } } as const satisfies Flags;

export const STDIO: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

/** `PROGRAM WORDS ARGS [--flag V]...`: the command's usage line. */
export function usageLine(program: string, c: Command): string {
  return [program, ...c.words, c.args, flagsSynopsis(c.flags)].filter(Boolean).join(' ');
}

/** A command's help: usage line, summary, options (derived from its flags), then what its help adds. */
export function helpOf(program: string, c: Command, positionals: string[] = []): string {
  const shown = c.help?.(positionals) ?? {};
  return [`usage: ${usageLine(program, c)}`, `  ${c.summary}`, 'options:', optionsHelp(shown.flags ?? c.flags), ...(shown.after ? [shown.after] : [])].join('\n');
}

function topHelp(program: Program): string {
  return [`usage: ${program.name} <command> [options]   (--help on any command)`, '', ...program.commands.map((c) => `  ${usageLine(program.name, c)}\n      ${c.summary}`)].join('\n');
}

/** Runs `program` on `argv`; returns the exit status. */
export async function runProgram(program: Program, argv: string[], io: Io = STDIO): Promise<number> {
  const commands = program.commands;
  const command = commands.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length)[0];
  let positionals: string[] = [];
  try {
    if (!command) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
        io.out(topHelp(program));
        return argv.length === 0 ? 2 : 0;
      }
      const group = commands.filter((c) => c.words[0] === argv[0]);
      if (group.length && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
        io.out(group.map((c) => helpOf(program.name, c)).join('\n'));
        return argv.length === 1 ? 2 : 0;
      }
      throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"`);
    }
    const parsed = parseCommandLine(argv.slice(command.words.length), parseArgsOptions({ ...command.flags, ...HELP_FLAG }), command.allowPositionals);
    positionals = parsed.positionals;
    if (parsed.values.help) {
      io.out(helpOf(program.name, command, positionals));
      return 0;
    }
    const { help: _help, ...values } = parsed.values;
    return await command.run(values as RawValues, positionals, io);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, program.name, command ? helpOf(program.name, command, positionals) : topHelp(program), (text) => io.err(text.replace(/\n$/, '')));
    if (err instanceof LabInterrupted) {
      io.err(`${program.name}: ${err.message}`);
      return 130;
    }
    io.err(`${program.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
