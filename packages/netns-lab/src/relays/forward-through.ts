// A relay under test, fed and counted: the native mcr-send / mcr-recv, per output stream unique,
// duplicates, foreign. The one driver the lab's relay tests and those of the packages above it share.
import type { Lab } from '../topology/index.js';
import { prime, receive, send } from '../traffic/lab-traffic.js';
import type { StreamTarget } from '../traffic/validate.js';
import type { RelayStartOptions, RelayUnderTest, StreamSpec } from './types.js';

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

/**
 * Starts `relay` for `streams`, sends `count` packets per stream, and returns what sink 0 received
 * per output stream and the relay's CPU seconds; the relay is stopped whatever happens.
 */
export async function forwardThrough(lab: Lab, relay: RelayUnderTest, streams: StreamSpec[], count: number, opts: RelayStartOptions = {}) {
  const outs: StreamTarget[] = streams.map((s) => ({ group: s.outGroup, port: s.outPort }));
  const ins: StreamTarget[] = streams.map((s) => ({ group: s.group, port: s.port }));
  await relay.start(lab, streams, opts);
  try {
    const results = await sendAndCount(lab, ins, outs, count);
    return { results, cpu: await relay.cpuSeconds() };
  } finally {
    await relay.stop();
  }
}
