// Frames and rule tables for the hot-path micro-benchmark. Pure; frames come from the lab's builder,
// the same one the parser tests and the relay's malformed-frame tests use.
import { udpFrame } from '@mcr/netns-lab';
import type { RuleSpec } from '@mcr/relay-native';

export function groupFor(n: number): string {
  return `239.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

export type BenchRule = RuleSpec;

const frame = (group: string, port: number, payloadBytes: number) =>
  udpFrame({ source: '10.1.0.2', group, port, payload: Buffer.alloc(payloadBytes) });

/** `count` rules on groups 239.1.x.y, ports 5001+n, one output each (ifindex 0: no socket). */
export function rules(count: number): BenchRule[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `r${n}`,
    group: groupFor(n),
    port: 5001 + (n % 60000),
    outputs: [{ interface: 'bench0', ifindex: 0, group: `239.9.${Math.floor(n / 250)}.${(n % 250) + 1}`, port: 6001 + (n % 59000), ttl: 8, sourceAddress: '10.9.0.1', sourceMac: '02:00:00:00:09:01' }],
  }));
}

/** `frames` frames spread evenly over the first `ruleCount` rules (or over groups no rule has, for misses). */
export function frames(count: number, ruleCount: number, payloadBytes: number, miss = false): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const n = Math.floor((i * ruleCount) / count) % ruleCount;
    return miss ? frame(groupFor(60_000 + n), 5001, payloadBytes) : frame(groupFor(n), 5001 + (n % 60000), payloadBytes);
  });
}
