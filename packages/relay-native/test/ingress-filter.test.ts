// The ring's kernel filter (src/ingress_filter.cc) against the loop's own matching, on real frames:
// a seeded mix of groups, ports, VLANs (moved into metadata by veth), fragments and non-UDP frames
// is injected, and the filter must pass every frame a rule matches (no false drop) and, with the
// exact program (<= 64 keys), nothing else; with more keys the generic program passes every
// unfragmented multicast UDP frame and userspace sorts them out.
import { udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RuleSpec } from '../src/index.js';
import { ChainBed } from './helpers/chain-bed.js';
import { seededRandom } from './helpers/seeded.js';

/** kMaxExactFilterKeys in src/ingress_filter.hpp. */
const MAX_EXACT_KEYS = 64;

interface Key {
  group: string;
  port: number;
  vlan: number | null;
}
const keyText = (k: Key) => `${k.group}:${k.port}:${k.vlan ?? '-'}`;

describe('kernel ingress filter (src -> relay, crafted frames)', () => {
  const bed = new ChainBed();
  beforeAll(() => bed.up());
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  const next = seededRandom(0x0f17e5);
  const randomKey = (): Key => ({
    group: `239.7.${next(2)}.${next(8)}`,
    port: 7000 + next(4),
    vlan: next(3) === 0 ? next(3) : null,
  });

  async function check(ruleCount: number): Promise<void> {
    const keys = new Map<string, Key>();
    while (keys.size < ruleCount) {
      const key = randomKey();
      keys.set(keyText(key), key);
    }
    const rules: RuleSpec[] = [...keys.values()].map((k, i) => ({
      id: `k${i}`,
      group: k.group,
      port: k.port,
      ...(k.vlan === null ? {} : { vlan: k.vlan }),
      outputs: [],
    }));
    const worker = await bed.worker(rules);
    const frames: Buffer[] = [];
    let expectMatched = 0;
    let expectMulticastUdp = 0;
    for (let i = 0; i < 400; i++) {
      const key = randomKey();
      const kind = next(10);
      if (kind === 0) {
        frames.push(udpFrame({ ...key, fragment: { moreFragments: true, offset: 0 } }));
      } else if (kind === 1) {
        const frame = udpFrame({ ...key });
        frame[(key.vlan === null ? 14 : 18) + 9] = 6; // TCP: not UDP
        frames.push(frame);
      } else if (kind === 2) {
        frames.push(udpFrame({ ...key, group: '10.9.9.9' })); // unicast destination
      } else {
        frames.push(udpFrame({ ...key }));
        expectMulticastUdp++;
        if (keys.has(keyText(key))) expectMatched++;
      }
    }
    await bed.inject(frames);
    await worker.waitFor((c) => c.matched >= expectMatched);
    // Anything still in flight would show up here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const c = await worker.waitFor(() => true);
    const exact = ruleCount <= MAX_EXACT_KEYS;
    console.log(
      `ingress filter, ${ruleCount} keys (${exact ? 'exact' : 'generic'}): ${frames.length} frames injected, ` +
        `${expectMulticastUdp} unfragmented multicast UDP, ${expectMatched} matching; framesSeen ${c.framesSeen}, matched ${c.matched}`,
    );
    expect(c.matched).toBe(expectMatched);
    expect(c.fragments).toBe(0);
    expect(c.framesSeen).toBe(exact ? expectMatched : expectMulticastUdp);
  }

  it('passes exactly the frames of a small table (exact program, VLANs in metadata)', () => check(12));
  it(`passes every multicast UDP frame above ${MAX_EXACT_KEYS} keys (generic program); userspace matches`, () => check(MAX_EXACT_KEYS + 6));
});
