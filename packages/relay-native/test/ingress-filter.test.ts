// The ring's kernel filter (src/ingress_filter.cc) against the loop's own matching, on real frames:
// a seeded mix of groups, ports, VLANs (moved into metadata by veth; VLAN 0, a priority tag, matches
// as untagged), fragments and non-UDP frames is injected, and the filter must pass every frame a rule matches (no false drop) and, with the
// exact program (<= 64 keys), nothing else; with more keys the generic program passes every
// unfragmented multicast UDP frame and userspace sorts them out.
import { udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RuleSpec } from '../src/index.js';
import { ChainBed, Worker } from './helpers/chain-bed.js';
import { udp6Frame } from './helpers/frames6.js';
import { seededRandom } from './helpers/seeded.js';

/** kMaxExactFilterKeys in src/ingress_filter.hpp. */
const MAX_EXACT_KEYS = 64;

interface Key {
  group: string;
  port: number;
  vlan: number | null;
}
/** VLAN 0 (a priority tag) is no VLAN: such a frame has an untagged frame's key. */
const keyText = (k: Key) => `${k.group}:${k.port}:${k.vlan || '-'}`;

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
      ...(k.vlan ? { vlan: k.vlan } : {}),
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
        `${expectMulticastUdp} unfragmented multicast UDP, ${expectMatched} matching; framesSeen ${c.framesSeen}, matched ${c.matched}, noMatch ${c.noMatch}, malformed ${c.malformed}, ownFrames ${c.ownFrames}, badChecksum ${c.badChecksum}, extensionHeaders ${c.extensionHeaders}`,
    );
    expect(c.matched).toBe(expectMatched);
    expect(c.fragments).toBe(0);
    expect(c.framesSeen).toBe(exact ? expectMatched : expectMulticastUdp);
  }

  it('passes exactly the frames of a small table (exact program, VLANs in metadata)', () => check(12));
  it(`passes every multicast UDP frame above ${MAX_EXACT_KEYS} keys (generic program); userspace matches`, () => check(MAX_EXACT_KEYS + 6));

  it('a new ring takes nothing before its first table: frames that arrive between the worker\'s creation and setRules are not counted', async () => {
    const agent = bed.agent();
    await agent.call('worker.new', { id: 'w', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex, fanout: { mode: 'hash' } } });
    // Multicast UDP the table will not want, and IPv6 multicast: a generic program would pass both.
    const early = [...Array.from({ length: 20 }, (_, i) => udpFrame({ group: `239.6.0.${i + 1}`, port: 7000 })), udp6Frame({ sourceMac: bed.mac.src, group: 'ff3e::6:1', port: 7000 })];
    await bed.inject(early);
    await agent.call('worker.setRules', { id: 'w', rules: [{ id: 'k', group: '239.7.0.1', port: 7000, outputs: [] }] });
    await agent.call('worker.start', { id: 'w' });
    const worker = new Worker(agent);
    await bed.inject(Array.from({ length: 5 }, () => udpFrame({ group: '239.7.0.1', port: 7000 })));
    await worker.waitFor((c) => c.matched >= 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const c = await worker.waitFor(() => true);
    expect({ framesSeen: c.framesSeen, matched: c.matched, noMatch: c.noMatch }).toEqual({ framesSeen: 5, matched: 5, noMatch: 0 });
  });

  it('keeps a fast-path rule\'s frames that the tc program rewrites in place out of the ring, and lets in every other layout', async () => {
    const key = { group: '239.7.0.1', port: 7000 };
    const worker = await bed.worker([{ id: 'f', ...key, outputs: [] }], { ownMacs: [], fastPathRules: ['f'] });
    const ip = 14;
    const withBytes = (edit: (frame: Buffer) => Buffer): Buffer => edit(Buffer.from(udpFrame(key)));
    const others = [
      ...Array.from({ length: 3 }, () => udpFrame({ ...key, ipOptions: Buffer.from([1, 1, 1, 0]) })),
      withBytes((f) => ((f[ip + 6]! |= 0x80), f)), // the reserved flag
      withBytes((f) => Buffer.concat([f, Buffer.alloc(4)])), // padding after the IP packet
      withBytes((f) => (f.writeUInt16BE(f.readUInt16BE(ip + 24) - 2, ip + 24), f)), // a UDP length short of the IP payload
      withBytes((f) => (f.writeUInt16BE(4, ip + 24), f)), // a UDP length shorter than its header
    ];
    const inPlace = Array.from({ length: 10 }, () => udpFrame(key));
    await bed.inject([...inPlace, ...others, udpFrame({ ...key, port: 7001 })]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const c = await worker.waitFor((x) => x.framesSeen >= others.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await worker.waitFor(() => true)).toMatchObject({ framesSeen: others.length, fastPath: 0 });
    expect(c.framesSeen).toBe(others.length);
  });

  it('passes IPv6 multicast UDP and extension headers (plain and tagged) only to tables with IPv6 rules; IPv4 ranges as masked keys', async () => {
    const v6Rules: RuleSpec[] = [
      { id: 'v6', group: 'ff3e::1:2', port: 7000, outputs: [] },
      { id: 'v6-range', group: 'ff3e::2:0', groupPrefixLength: 112, port: 7001, outputs: [] },
      { id: 'v6-vlan', group: 'ff3e::1:2', port: 7000, vlan: 5, outputs: [] },
    ];
    const v4Rules: RuleSpec[] = [
      { id: 'v4', group: '239.7.0.1', port: 7000, outputs: [] },
      { id: 'v4-range', group: '239.8.0.0', groupPrefixLength: 16, port: 7000, outputs: [] },
    ];
    const at = (group: string, port: number, extra: Parameters<typeof udp6Frame>[0] = {}) => udp6Frame({ sourceMac: bed.mac.src, group, port, ...extra });
    const icmp = at('ff02::1', 7000);
    icmp[14 + 6] = 58; // ND / MLD without options: never enters the ring
    const v6Frames = {
      matching: [at('ff3e::1:2', 7000), at('ff3e::2:77', 7001), at('ff3e::1:2', 7000, { vlan: 5 }), at('ff3e::1:2', 7000, { extensionHeaders: [{ type: 0 }] })],
      passedUnmatched: [at('ff3e::1:3', 7000), at('ff02::fb', 5353)], // generic IPv6: userspace sorts them out
      extension: [at('ff3e::1:2', 7000, { extensionHeaders: [{ type: 43 }] })],
      fragment: [at('ff3e::1:2', 7000, { extensionHeaders: [{ type: 44 }] })],
      dropped: [icmp, at('fd00::2', 7000), at('fe80::1', 7000)],
    };
    const v4Frames = {
      matching: [udpFrame({ group: '239.7.0.1', port: 7000 }), udpFrame({ group: '239.8.3.4', port: 7000 }), udpFrame({ group: '239.8.255.255', port: 7000 })],
      dropped: [udpFrame({ group: '239.9.0.1', port: 7000 }), udpFrame({ group: '239.8.3.4', port: 7001 }), udpFrame({ group: '239.7.0.2', port: 7000 })],
    };
    const all = [...Object.values(v6Frames).flat(), ...Object.values(v4Frames).flat()];
    const run = async (rules: RuleSpec[], expected: { framesSeen: number; matched: number; extensionHeaders: number; fragments: number }) => {
      const worker = await bed.worker(rules);
      await bed.inject(all);
      await worker.waitFor((c) => c.framesSeen >= expected.framesSeen);
      await new Promise((resolve) => setTimeout(resolve, 300)); // anything still in flight shows up here
      const c = await worker.waitFor(() => true);
      // The namespaces' own MLD reports (Hop-by-Hop, then ICMPv6) pass an IPv6 program, which does not
      // walk extension headers, and the worker counts them in noMatch: only that counter may exceed
      // what the injected frames account for.
      const { framesSeen, ...exact } = expected;
      const sorted = expected.matched + expected.extensionHeaders + expected.fragments;
      expect(c).toMatchObject(exact);
      expect(c.framesSeen - c.noMatch).toBe(sorted);
      expect(c.noMatch).toBeGreaterThanOrEqual(framesSeen - sorted);
      await bed.cleanup();
    };
    const v6Seen = v6Frames.matching.length + v6Frames.passedUnmatched.length + v6Frames.extension.length + v6Frames.fragment.length;
    // Both families: IPv4 exact program with a masked range key, IPv6 generic.
    await run([...v4Rules, ...v6Rules], { framesSeen: v6Seen + 3, matched: 4 + 3, extensionHeaders: 1, fragments: 1 });
    // IPv4 only: no IPv6 frame enters the ring.
    await run(v4Rules, { framesSeen: 3, matched: 3, extensionHeaders: 0, fragments: 0 });
    // IPv6 only: no IPv4 frame enters the ring.
    await run(v6Rules, { framesSeen: v6Seen, matched: 4, extensionHeaders: 1, fragments: 1 });
  });
});
