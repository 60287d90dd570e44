// Traffic for the relay tests: the native mcr-send / mcr-recv (src/traffic, built before any
// test runs). Reports per output stream: unique, duplicates, foreign.
import type { Lab } from '../../src/topology/index.js';
import type { StreamTarget } from '../../src/traffic/index.js';
import { prime, receive, send } from '../lab-traffic.js';

export interface Counts {
  unique: number;
  duplicates: number;
  foreign: number;
}

/** Sends `count` packets per input stream from the lab's source; returns counts per output stream at sink 0. */
export async function sendAndCount(lab: Lab, ins: StreamTarget[], outs: StreamTarget[], count: number): Promise<Counts[]> {
  const src = lab.topo.source;
  await prime(src, ins);
  const rx = await receive(lab.topo.sinks[0]!, outs, count);
  await send(src, ins, count);
  const report = await rx.result;
  return report.streams.map((s) => ({ unique: s.unique, duplicates: s.duplicates, foreign: s.foreign }));
}
