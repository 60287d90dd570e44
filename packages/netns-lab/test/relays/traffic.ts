// Traffic for the relay tests: the native mcr-send / mcr-recv (src/traffic) when they are built,
// else the python3 stand-ins. Both report per output stream: unique, duplicates, foreign.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../src/topology/index.js';
import { releaseDir, runSender, startReceiver as startNative } from '../../src/traffic/index.js';
import { send, startReceiver as startStandIn, type Stream } from '../topology/stand-ins.js';

export const nativeTools = existsSync(join(releaseDir, 'mcr-send')) && existsSync(join(releaseDir, 'mcr-recv'));

export interface Counts {
  unique: number;
  duplicates: number;
  foreign: number;
}

/** Sends `count` packets per input stream from the lab's source; returns counts per output stream at sink 0. */
export async function sendAndCount(lab: Lab, ins: Stream[], outs: Stream[], count: number): Promise<Counts[]> {
  const src = lab.topo.source;
  const sink = lab.topo.sinks[0]!;
  if (!nativeTools) {
    const rx = await startStandIn(sink.ns, sink.ifname, outs, count);
    await send(src.ns, src.ip, ins, { count, prime: 3 });
    return rx.result();
  }
  // Prime before the receiver exists: a kernel relay turns (*,G) into (S,G) on the first packets.
  await runSender({ netns: src.ns, streams: ins, count: 3, rate: 100, ttl: 8, interface: src.ifname });
  await new Promise((r) => setTimeout(r, 300));
  const rx = await startNative({ netns: sink.ns, streams: outs, interface: sink.ifname, expect: count, idleMs: 1000, durationSec: 20 });
  // 5000 pps aggregate: far below what socat forwards (~50 kpps), so a loss is a path bug, not load.
  await runSender({ netns: src.ns, streams: ins, count, rate: 5000, ttl: 8, interface: src.ifname });
  const report = await rx.result;
  return report.streams.map((s) => ({ unique: s.unique, duplicates: s.duplicates, foreign: s.foreign }));
}
