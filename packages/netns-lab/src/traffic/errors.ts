// One error class for a traffic tool that failed: the command line, exit code and stderr ride
// along so a failed test says which tool, in which namespace, said what.
export class TrafficToolError extends Error {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  constructor(message: string, details: { command: string; exitCode: number | undefined; stderr: string }, cause?: unknown) {
    super(`${message}: ${details.command} (exit ${details.exitCode ?? '?'})${details.stderr ? `\n${details.stderr.trim()}` : ''}`, {
      cause,
    });
    this.name = 'TrafficToolError';
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
  }
}

/** Parses a tool's JSON report, wrapping a parse failure with the command and its output. */
export function parseReport<T>(stdout: string, details: { command: string; exitCode: number | undefined; stderr: string }): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch (cause) {
    throw new TrafficToolError(`no JSON report on stdout (got ${JSON.stringify(stdout.slice(0, 200))})`, details, cause);
  }
}
