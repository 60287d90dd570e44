// The command-line pieces mcr, mcr-lab and the bench share: strict parsing, flag values checked
// against limits or a zod schema, and usage errors (exit 2 with the command's help hint).
export { UsageError, USAGE_EXIT_CODE, reportUsageError } from './usage-error.js';
export { parseCommandLine, type FlagOptions } from './parse.js';
export { choiceFlag, choiceValue, integerFlag, integerValue, numberFlag, numberValue, quote, schemaFlag, usageErrorFrom } from './flags.js';
export { checkFlags, defaultsAcross, flagsSchema, flagsSynopsis, optionsHelp, parseArgsOptions, parseFlags, schemaFacts, type Flag, type Flags, type FlagValues } from './flag-table.js';
