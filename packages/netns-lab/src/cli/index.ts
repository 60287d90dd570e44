// The lab's command-line pieces, for a program to compose (mcr-lab adds its `run`).
export { STDIO, UsageError, helpOf, runProgram, usageLine, type Command, type Io, type Program, type RawValues } from './command.js';
export { TOPO_COMMANDS, TOPO_UP_FLAGS, topoDown, topoList, topoUp } from './topo.js';
export { cleanCommand } from './clean.js';
export { doctorCommand } from './doctor.js';
