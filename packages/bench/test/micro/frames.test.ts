import { describe, expect, it } from 'vitest';
import { frames, groupFor, rules } from '../../src/micro/frames.js';
import { loadBenchHotPath } from '../../src/micro/micro.js';

type Parse = (b: Buffer) => { kind: string; group?: string; port?: number; payloadLength?: number };
const native = (await import('@mcr/relay-native' as string).catch(() => null)) as { parseFrame?: Parse } | null;
const parseFrame = native?.parseFrame;
const hot = await loadBenchHotPath();

describe('micro-benchmark inputs', () => {
  it('spreads frames over the rules', () => {
    const f = frames(20, 10, 100);
    expect(f).toHaveLength(20);
    expect(f[0]!.length).toBe(14 + 20 + 8 + 100);
    expect(rules(1000)[999]!.group).toBe(groupFor(999));
    expect(groupFor(999)).toBe('239.1.3.250');
  });

  it.skipIf(!parseFrame)('builds frames the relay parses as the intended group and port', () => {
    const f = frames(10, 10, 200);
    f.forEach((frame, n) => expect(parseFrame!(frame)).toMatchObject({ kind: 'udp', group: groupFor(n), port: 5001 + n, payloadLength: 200 }));
  });

  it.skipIf(typeof hot === 'string')('matches every frame in the hit cases and none in the miss case', () => {
    if (typeof hot === 'string') return;
    const r = rules(1000);
    expect(hot({ frames: frames(100, 1000, 200), rules: r, iterations: 2 }).matched).toBe(200);
    expect(hot({ frames: frames(100, 1000, 200, true), rules: r, iterations: 2 }).matched).toBe(0);
  });
});
