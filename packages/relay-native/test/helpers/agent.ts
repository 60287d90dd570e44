// Drives fixtures/agent.mjs inside a namespace: one JSON command per line, one reply per line.
// The agent imports the built package, so native calls really run in that namespace.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export function assertBuilt(): void {
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const addon = fileURLToPath(new URL('../../build/Release/mcr_native.node', import.meta.url));
  if (!existsSync(dist) || !existsSync(addon)) {
    throw new Error('namespace tests import the built package: run `npx nx run relay-native:build` first');
  }
}

export interface AgentError {
  name: string;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  interface?: string;
  group?: string;
  isNativeError: boolean;
}

export class AgentCallError extends Error {
  constructor(readonly detail: AgentError) {
    super(detail.message);
  }
}

export class NamespaceAgent {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  #stderr = '';
  #exited = false;

  constructor(ns: string) {
    assertBuilt();
    this.#child = spawn('ip', ['netns', 'exec', ns, process.execPath, fixture('agent.mjs')], { stdio: 'pipe' });
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { ok: boolean; value?: unknown; error?: AgentError };
      const waiter = this.#pending.shift();
      if (waiter === undefined) return;
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new AgentCallError(reply.error!));
    });
    this.#child.on('exit', () => {
      this.#exited = true;
      for (const waiter of this.#pending.splice(0)) waiter.reject(new Error(`agent exited: ${this.#stderr}`));
    });
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`agent exited: ${this.#stderr}`));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.#child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
    });
  }

  /** Ends the agent: stdin EOF makes it stop its workers and exit. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}
