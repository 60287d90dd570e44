// The lab's command-line pieces, for a program to compose (mcr-lab adds its `run`).
export { HELP, STDIO, UsageError, helpOf, runProgram, usage, type Command, type Io, type Program } from './command.js';
export { TOPO_COMMANDS, topoDown, topoList, topoUp } from './topo.js';
export { cleanCommand } from './clean.js';
export { doctorCommand } from './doctor.js';
