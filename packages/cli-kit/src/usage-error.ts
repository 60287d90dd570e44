/**
 * A usage error: the command line is wrong, nothing ran. The CLI prints the message (it names the
 * flag, the expectation and the value) with a pointer to its help, and exits 2.
 */
export class UsageError extends Error {
  /** What to print after the message instead of the program's default hint (e.g. a command's usage). */
  readonly help: string | undefined;

  constructor(message: string, options?: { help?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UsageError';
    this.help = options?.help;
  }
}

/** The exit status of a usage error, for every CLI of the workspace. */
export const USAGE_EXIT_CODE = 2;

/**
 * Prints a usage error as every CLI of the workspace does, `PROGRAM: MESSAGE` and then the error's
 * own help or the program's hint ("Run 'mcr add --help' for usage."), and returns the exit status.
 */
export function reportUsageError(err: UsageError, program: string, hint: string, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  write(`${program}: ${err.message}\n${err.help ?? hint}\n`);
  return USAGE_EXIT_CODE;
}
