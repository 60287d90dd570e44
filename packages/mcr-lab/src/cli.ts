// mcr-lab: the lab's commands (topo, clean, doctor) with mcr plugged in, and `run <scenario>`.
import { pathToFileURL } from 'node:url';
import { cleanCommand, doctorCommand, runProgram, STDIO, TOPO_COMMANDS, type Command, type Io, type Program } from '@mcr/netns-lab';
import { doctorPlan } from './doctor-plan.js';
import { runCommand } from './run-command.js';

export { UsageError, type Command, type Io } from '@mcr/netns-lab';

/** The command table, in the order help lists it. */
export const COMMANDS: Command[] = [...TOPO_COMMANDS, cleanCommand, runCommand, doctorCommand(doctorPlan())];

export const PROGRAM: Program = { name: 'mcr-lab', commands: COMMANDS };

/** Runs the CLI; returns the exit status. */
export function main(argv: string[], io: Io = STDIO): Promise<number> {
  return runProgram(PROGRAM, argv, io);
}

// Run when executed directly (bin/mcr-lab.js imports this module and calls main itself).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
