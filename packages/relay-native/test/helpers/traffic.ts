// Traffic fixtures run inside namespaces: a paced dgram sender, a sink that counts sequence
// numbers, and a one-shot raw frame writer.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { injectFrames } from '@mcr/netns-lab';

import { fixture } from './agent.js';
import { nsRun } from './netns.js';

export interface SinkReport {
  received: number;
  unique: number;
  duplicates: number;
  foreign: number;
}

export class Sink {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #replies: Array<(report: SinkReport) => void> = [];
  readonly ready: Promise<void>;

  constructor(ns: string, localAddress: string, group: string, port: number) {
    this.#child = spawn('ip', ['netns', 'exec', ns, process.execPath, fixture('sink.mjs'), localAddress, group, String(port)]);
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#replies.shift()?.(JSON.parse(line) as SinkReport));
    this.ready = new Promise((resolve, reject) => {
      let stderr = '';
      this.#child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('ready')) resolve();
      });
      this.#child.once('exit', (code) => reject(new Error(`sink exited (${code}): ${stderr}`)));
    });
  }

  report(): Promise<SinkReport> {
    return new Promise((resolve) => {
      this.#replies.push(resolve);
      this.#child.stdin.write('report\n');
    });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}

export async function send(ns: string, localAddress: string, group: string, port: number, count: number): Promise<void> {
  await nsRun(ns, process.execPath, [fixture('sender.mjs'), localAddress, group, String(port), String(count)]);
}

export async function sendRawFrame(ns: string, device: string, frame: Buffer): Promise<void> {
  await injectFrames(ns, device, [frame]);
}
