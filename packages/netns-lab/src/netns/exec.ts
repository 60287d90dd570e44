// Thin wrappers around execa. Every command is an argument array (never a shell string), and
// every failure becomes a CommandError carrying the command line and its stderr, so a failed
// `ip` call in the middle of a topology says exactly which call failed and why.
import { execa, type Options } from 'execa';

export class CommandError extends Error {
  readonly command: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
  constructor(command: string, stderr: string, exitCode: number | undefined, cause?: unknown) {
    super(`command failed (exit ${exitCode ?? '?'}): ${command}${stderr ? `\n${stderr.trim()}` : ''}`, { cause });
    this.name = 'CommandError';
    this.command = command;
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin (e.g. `ip -batch -`). */
  input?: string;
  /** Milliseconds before the command is killed; default 30 s so a hung tool cannot hang a test. */
  timeout?: number;
  /** Environment additions. */
  env?: Record<string, string>;
}

function quote(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs `cmd args...` in the current (root) namespace and resolves with its output. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const options: Options = {
    reject: false,
    timeout: opts.timeout ?? 30_000,
    stripFinalNewline: true,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.env ? { env: opts.env } : {}),
  };
  const result = await execa(cmd, args, options);
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.failed) {
    throw new CommandError(quote(cmd, args), stderr || (result.message ?? ""), result.exitCode, result.cause);
  }
  return { stdout, stderr };
}

/** Runs `cmd args...` inside network namespace `ns` (via `ip netns exec`, which execs the command). */
export function inNetns(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** The argument vector that runs `cmd args...` inside `ns`: for long-lived children started with execa. */
export function netnsArgv(ns: string, cmd: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', ns, cmd, ...args]];
}
