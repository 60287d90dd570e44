// What the lab's long-running tools (mcr-recv, mcr-observe) share as child processes: a wait for the
// `ready` line they print on stderr once set up (or their early exit, or a timeout), and a stop that
// sends SIGTERM once and kills a tool that ignores it.
import type { ResultPromise } from 'execa';
import { TrafficToolError } from './errors.js';

type ToolChild = ResultPromise<{ reject: false; stdin: 'ignore' }>;

/** Resolves once `child` printed `ready` on stderr; rejects when it exits first or after `timeoutMs` (killed). */
export async function awaitReady(child: ToolChild, result: Promise<unknown>, tool: string, command: string, timeoutMs: number): Promise<void> {
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TrafficToolError(`${tool} not ready after ${timeoutMs} ms`, { command, exitCode: undefined, stderr }));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      stderr += chunk.toString();
      if (/(^|\n)ready\n/.test(stderr)) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    result.then(
      () => reject(new TrafficToolError(`${tool} exited before it was ready`, { command, exitCode: 0, stderr })),
      (err: unknown) => reject(err),
    ).finally(() => clearTimeout(timer));
  });
}

/** A stop function for `child`: SIGTERM once (idempotent), SIGKILL after 5 s, then `result`. */
export function stopper<T>(child: ToolChild, result: Promise<T>): () => Promise<T> {
  let stopping: Promise<T> | undefined;
  return () => {
    if (!stopping) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // Backstop: a tool that ignores SIGTERM must not hang the caller.
      const guard = setTimeout(() => child.kill('SIGKILL'), 5_000);
      stopping = result.finally(() => clearTimeout(guard));
    }
    return stopping;
  };
}
