// Drives fixtures/udp6.py: a plain UDP6 sender and receiver in a namespace (the kernel's own IPv6
// stack: what an application on either side of the relay sees).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { inNetns } from '@mcr/netns-lab';

import { fixture } from './agent.js';

export interface Datagram {
  payload: string;
  source: string;
  hopLimit: number | null;
}

export interface Udp6Receiver {
  /** Resolves once `count` datagrams arrived or the timeout passed. */
  datagrams: Promise<Datagram[]>;
}

/** Joins `group` on `ifname` (or, for a unicast `group`, just binds `port`); resolves once bound. */
export async function startUdp6Receiver(ns: string, ifname: string, group: string, port: number, count: number, timeoutSec = 10): Promise<Udp6Receiver> {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', fixture('udp6.py'), 'recv', ifname, group, String(port), String(count), String(timeoutSec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collected: Datagram[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => collected.push(JSON.parse(line) as Datagram));
  const datagrams = new Promise<Datagram[]>((resolve) => child.once('exit', () => resolve(collected)));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`udp6 receiver exited (${code}) before it was ready: ${stderr}`)));
  });
  return { datagrams };
}

/** Sends `count` datagrams "seq <n>" to group:port through ifname, hop limit `hops`, paced at `rate`/s. */
export async function sendUdp6(ns: string, ifname: string, group: string, port: number, count: number, hops = 8, rate = 2000): Promise<void> {
  await inNetns(ns, 'python3', [fixture('udp6.py'), 'send', ifname, group, String(port), String(count), String(hops), String(rate)]);
}
