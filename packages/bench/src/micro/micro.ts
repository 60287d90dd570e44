// tinybench micro-benchmarks of the native hot path (parse + match + enqueue with header rewrite,
// no send) through relay-native's bench-only entry `benchHotPath`.
import { Bench } from 'tinybench';
import type { MicroTask } from '../results/schema.js';
import { frames, rules } from './frames.js';

type BenchHotPath = (o: { frames: Buffer[]; rules: unknown[]; iterations: number }) => { nsPerPacket: number; matched: number };

export async function loadBenchHotPath(): Promise<BenchHotPath | string> {
  try {
    const mod = (await import('@mcr/relay-native' as string)) as Record<string, unknown>;
    if (typeof mod.benchHotPath !== 'function') return '@mcr/relay-native does not export benchHotPath';
    return mod.benchHotPath as BenchHotPath;
  } catch (err) {
    return `@mcr/relay-native cannot be loaded (${(err as Error).message.split('\n')[0]}); build it: npx nx run relay-native:build`;
  }
}

export interface MicroCase {
  name: string;
  rules: number;
  frames: number;
  miss?: boolean;
}

export const CASES: MicroCase[] = [
  { name: 'parse+match+enqueue, 10 rules', rules: 10, frames: 64 },
  { name: 'parse+match+enqueue, 1000 rules', rules: 1000, frames: 1000 },
  { name: 'lookup miss, 1000 rules', rules: 1000, frames: 1000, miss: true },
];

export async function runMicro(size: number, timeMs: number): Promise<{ tasks: MicroTask[]; skipped?: string }> {
  const hot = await loadBenchHotPath();
  if (typeof hot === 'string') return { tasks: [], skipped: hot };
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  const native = new Map<string, number[]>();
  const inputs = CASES.map((c) => {
    const fr = frames(c.frames, c.rules, size, c.miss);
    const iterations = Math.max(1, Math.round(20_000 / fr.length));
    return { c, fr, ru: rules(c.rules), iterations };
  });
  for (const { c, fr, ru, iterations } of inputs) {
    native.set(c.name, []);
    bench.add(c.name, () => {
      const r = hot({ frames: fr, rules: ru, iterations });
      native.get(c.name)!.push(r.nsPerPacket);
    });
  }
  await bench.run();
  const tasks: MicroTask[] = inputs.map(({ c, fr }) => {
    const task = bench.getTask(c.name);
    const res = task?.result as unknown as { latency?: { mean: number; p99: number; samples: number[] } } | undefined;
    const ns = native.get(c.name)!;
    const sorted = [...ns].sort((a, b) => a - b);
    return {
      name: c.name,
      rules: c.rules,
      frames: fr.length,
      nsPerPacket: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      callMeanMs: res?.latency?.mean ?? NaN,
      callP99Ms: res?.latency?.p99 ?? NaN,
      samples: res?.latency?.samples.length ?? ns.length,
    };
  });
  return { tasks };
}
