// IPv6 through the data plane, on the lab's dual-stack chain (src ns -> relay ns with a
// DataPlaneWorker -> sink ns), the real kernel throughout: a plain UDP6 sender and receiver, raw
// frames injected on the source's interface, and a raw capture in the sink that recomputes what a
// socket would not check (veth marks frames CHECKSUM_UNNECESSARY). Group ranges with offset mapping
// are checked for both families here too.
import { udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { OutputSpec, RuleSpec } from '../src/index.js';
import { startCapture, udpFacts, withUdpChecksum } from './helpers/capture.js';
import { ChainBed } from './helpers/chain-bed.js';
import { multicastMac6, udp6Facts, udp6Frame } from './helpers/frames6.js';
import { sendUdp6, startUdp6Receiver } from './helpers/udp6.js';
import { withTag } from './helpers/vlan-tag.js';
import { formatAddress } from '../src/ip-address.js';

const IN6 = 'ff3e::1:2';
const OUT6 = 'ff3e::9:2';
const PORT = 5001;
const OUT_PORT = 6001;

describe('DataPlaneWorker, IPv6 and group ranges (src -> relay -> sink)', () => {
  const bed = new ChainBed();
  // The lab's IPv6 plan (fd00:0:0:s::N beside 10.s.0.N): the source, the relay's output, the sink.
  let SRC6 = '';
  let RELAY_OUT6 = '';
  let SINK6 = '';
  beforeAll(async () => {
    await bed.up();
    const { source, relay, sinks } = bed.lab.topo;
    [SRC6, RELAY_OUT6, SINK6] = [source.ip6, relay.outputs[0]!.ip6, sinks[0]!.ip6];
  });
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  const output6 = (extra: Partial<OutputSpec> = {}): OutputSpec => bed.output(OUT_PORT, { group: OUT6, sourceAddress: RELAY_OUT6, ...extra });
  const rule6 = (id: string, outputs: OutputSpec[], extra: Partial<RuleSpec> = {}): RuleSpec => ({ id, group: IN6, port: PORT, outputs, ...extra });

  async function capture(port: number, count: number) {
    const c = await startCapture(bed.ns.sink, bed.dev.sink, port, count, 8);
    bed.onCleanup(async () => c.stop());
    return c;
  }

  it('relays a UDP6 stream ff3e::1:2 -> ff3e::9:2: every datagram, valid checksum, hop limit decremented, source = sourceAddress', async () => {
    const N = 200;
    const worker = await bed.worker([rule6('v6', [output6({ ttl: 64 })])]);
    const receiver = await startUdp6Receiver(bed.ns.sink, bed.dev.sink, OUT6, OUT_PORT, N, 10);
    const cap = await capture(OUT_PORT, N);
    await sendUdp6(bed.ns.src, bed.dev.src, IN6, PORT, N, 9, 2000);
    const got = await receiver.datagrams;
    expect(got.map((d) => d.payload).sort()).toEqual(Array.from({ length: N }, (_, n) => `seq ${n}`).sort());
    expect(new Set(got.map((d) => d.source))).toEqual(new Set([RELAY_OUT6]));
    expect(new Set(got.map((d) => d.hopLimit))).toEqual(new Set([8])); // min(64, 9 - 1)
    const frames = await cap.frames;
    expect(frames).toHaveLength(N);
    for (const frame of frames) {
      const f = udp6Facts(frame);
      // The sender's socket hands veth a partial checksum: the relay computed it in full.
      expect(f).toMatchObject({ udpChecksumOk: true, hopLimit: 8, nextHeader: 17, payloadLengthOk: true, port: OUT_PORT });
      expect(f.destinationMac).toEqual(multicastMac6(OUT6));
      expect(formatAddress(f.source)).toBe(RELAY_OUT6);
      expect(formatAddress(f.destination)).toBe(OUT6);
    }
    const c = await worker.waitFor((v) => v.forwarded >= N);
    expect(c).toMatchObject({ matched: N, forwarded: N, txErrors: 0, malformed: 0, extensionHeaders: 0 });
  });

  it('walks option headers, counts and drops fragments, other extension headers and a 0 checksum; updates complete checksums', async () => {
    const worker = await bed.worker([rule6('v6', [output6()]), rule6('tagged', [output6({ port: OUT_PORT + 1 })], { vlan: 12 })], { ownMacs: [bed.mac.relayIn] });
    const cap = await capture(OUT_PORT, 4);
    const capTagged = await capture(OUT_PORT + 1, 1);
    const at = (payload: string, extra: Parameters<typeof udp6Frame>[0] = {}) =>
      udp6Frame({ sourceMac: bed.mac.src, source: SRC6, group: IN6, port: PORT, hopLimit: 5, payload: Buffer.from(payload), ...extra });
    const frames = [
      at('plain'),
      at('hop-by-hop', { extensionHeaders: [{ type: 0, length: 8 }] }),
      at('options', { extensionHeaders: [{ type: 0 }, { type: 60, length: 16 }] }),
      at('wrong checksum', { checksum: 0x1234 }), // complete but wrong: stays wrong (end to end)
      at('routing', { extensionHeaders: [{ type: 43 }] }),
      at('ah', { extensionHeaders: [{ type: 60 }, { type: 51 }] }),
      at('fragment', { extensionHeaders: [{ type: 44 }] }),
      at('zero checksum', { checksum: 'zero' }),
      at('own', { sourceMac: bed.mac.relayIn }),
      at('vlan', { vlan: 12 }),
    ];
    await bed.inject(frames);
    const c = await worker.waitFor((v) => v.framesSeen - v.noMatch >= frames.length);
    // The namespaces' own MLD reports (Hop-by-Hop, then ICMPv6) pass the kernel filter, which does not
    // walk extension headers, and may arrive meanwhile: the worker counts them in noMatch.
    expect(c).toMatchObject({ matched: 5, forwarded: 5, extensionHeaders: 2, fragments: 1, malformed: 1, ownFrames: 1 });
    expect(c.framesSeen - c.noMatch).toBe(frames.length);
    const got = (await cap.frames).map(udp6Facts);
    expect(got.map((f) => f.payload.toString())).toEqual(['plain', 'hop-by-hop', 'options', 'wrong checksum']);
    expect(got.map((f) => f.udpChecksumOk)).toEqual([true, true, true, false]);
    for (const f of got) expect(f).toMatchObject({ hopLimit: 4, nextHeader: 17, payloadLengthOk: true });
    const tagged = (await capTagged.frames).map(udp6Facts);
    expect(tagged).toHaveLength(1);
    expect(tagged[0]).toMatchObject({ udpChecksumOk: true, port: OUT_PORT + 1 });
    expect(tagged[0]!.payload.toString()).toBe('vlan');
  });

  it('matches IPv6 frames with a priority tag (VLAN 0) as untagged, in ring metadata and in the bytes', async () => {
    const worker = await bed.worker([rule6('v6', [output6()]), rule6('tagged', [output6({ port: OUT_PORT + 1 })], { vlan: 12 })]);
    const plain = udp6Frame({ sourceMac: bed.mac.src, source: SRC6, group: IN6, port: PORT });
    // The outer tag lands in metadata, an inner one stays in the bytes (and moves the IPv6 header).
    const frames = [withTag(plain, 0), withTag(withTag(plain, 0), 0), withTag(withTag(plain, 12), 0), withTag(withTag(plain, 0), 12)];
    await bed.inject(frames);
    const c = await worker.waitFor((v) => v.matched >= frames.length);
    // The namespaces' own MLD reports may arrive meanwhile (noMatch).
    expect(c.rules.map((r) => [r.id, r.matched])).toEqual([
      ['v6', 2],
      ['tagged', 2],
    ]);
    expect(c).toMatchObject({ matched: 4, forwarded: 4, malformed: 0 });
  });

  it('maps IPv6 and IPv4 ranges by offset, and an exact rule beats a range, a longer prefix a shorter one', async () => {
    const out4 = (group: string, port: number, extra: Partial<OutputSpec> = {}) => bed.output(port, { group, ...extra });
    const rules: RuleSpec[] = [
      rule6('range6', [output6({ group: 'ff3e::9:0', groupPrefixLength: 112 })], { group: 'ff3e::1:0', groupPrefixLength: 112 }),
      rule6('wide6', [output6({ group: 'ff3e::77', port: OUT_PORT + 2 })], { group: 'ff3e::', groupPrefixLength: 64 }),
      rule6('exact6', [output6({ group: 'ff3e::42', port: OUT_PORT + 1 })], { group: 'ff3e::1:7' }),
      { id: 'range4', group: '239.1.0.0', groupPrefixLength: 24, port: PORT, outputs: [out4('239.9.0.0', OUT_PORT, { groupPrefixLength: 24 })] },
      { id: 'exact4', group: '239.1.0.7', port: PORT, outputs: [out4('239.42.0.1', OUT_PORT + 1)] },
    ];
    const worker = await bed.worker(rules);
    const cap = await capture(OUT_PORT, 3);
    const capExact = await capture(OUT_PORT + 1, 2);
    const capWide = await capture(OUT_PORT + 2, 1);
    const v6 = (group: string) => udp6Frame({ sourceMac: bed.mac.src, source: SRC6, group, port: PORT, payload: Buffer.from(group) });
    const v4 = (group: string) => withUdpChecksum(udpFrame({ source: '10.1.0.1', group, port: PORT, ttl: 8, payload: Buffer.from(group) }));
    await bed.inject([v6('ff3e::1:5'), v6('ff3e::1:ff'), v6('ff3e::1:7'), v6('ff3e::2:1'), v6('ff3e:0:0:1::1'), v4('239.1.0.5'), v4('239.1.0.7'), v4('239.1.1.5')]);
    const c = await worker.waitFor((v) => v.matched + v.noMatch >= 7);
    // 239.1.1.5: dropped by the kernel filter (no key); ff3e:0:0:1::1 matches no rule. Background MLD
    // reports (see above) may add to noMatch.
    expect(c).toMatchObject({ matched: 6, forwarded: 6 });
    expect(c.noMatch).toBeGreaterThanOrEqual(1);
    expect(c.framesSeen - c.noMatch).toBe(6);

    const destinations = (await cap.frames).map((frame) =>
      frame.readUInt16BE(12) === 0x86dd ? formatAddress(udp6Facts(frame).destination) : formatAddress(frame.subarray(30, 34)),
    );
    expect(destinations.sort()).toEqual(['239.9.0.5', 'ff3e::9:5', 'ff3e::9:ff'].sort());
    for (const frame of await cap.frames) {
      if (frame.readUInt16BE(12) === 0x86dd) {
        const f = udp6Facts(frame);
        expect(f.udpChecksumOk).toBe(true);
        expect(f.destinationMac).toEqual(multicastMac6(formatAddress(f.destination)));
      } else {
        const f = udpFacts(frame);
        expect(f).toMatchObject({ ipChecksumOk: true, udpChecksumOk: true });
        expect([...frame.subarray(0, 6)]).toEqual([0x01, 0x00, 0x5e, 0x09, 0x00, 0x05]);
      }
    }
    const exact = (await capExact.frames).map((frame) => (frame.readUInt16BE(12) === 0x86dd ? formatAddress(udp6Facts(frame).destination) : formatAddress(frame.subarray(30, 34))));
    expect(exact.sort()).toEqual(['239.42.0.1', 'ff3e::42']);
    const wide = (await capWide.frames).map((frame) => udp6Facts(frame));
    expect(wide.map((f) => f.payload.toString())).toEqual(['ff3e::2:1']); // ff3e:0:0:1::1 is outside ff3e::/64
    expect(wide[0]!.udpChecksumOk).toBe(true);
    expect(c.rules.map((r) => [r.id, r.matched])).toEqual([
      ['range6', 2],
      ['wide6', 1],
      ['exact6', 1],
      ['range4', 1],
      ['exact4', 1],
    ]);
  });

  it('applies maxPps and the loop guard to IPv6 rules as to IPv4 ones', async () => {
    const worker = await bed.worker([rule6('limited', [output6()], { maxPps: 1 })], { ownMacs: [bed.mac.relayOut] });
    const frame = (sourceMac: string) => udp6Frame({ sourceMac, source: SRC6, group: IN6, port: PORT });
    await bed.inject([...Array.from({ length: 10 }, () => frame(bed.mac.src)), frame(bed.mac.relayOut)]);
    const c = await worker.waitFor((v) => v.framesSeen - v.noMatch >= 11);
    // Burst max(1, maxPps / 10) = 1 frame; the 10 frames arrive within a few ms (1 pps refills none).
    expect(c).toMatchObject({ ownFrames: 1, matched: 10, rateLimited: 9, forwarded: 1 });
    expect(c.framesSeen - c.noMatch).toBe(11); // background MLD reports (see above) only add to noMatch
    expect(c.rules[0]).toMatchObject({ id: 'limited', matched: 10, rateLimited: 9 });
  });

  it('relays to a unicast IPv6 output through a UDP6 socket (hop limit per packet)', async () => {
    const N = 50;
    const worker = await bed.worker([rule6('uni6', [output6({ group: SINK6, port: OUT_PORT + 3, ttl: 3 })])]);
    const receiver = await startUdp6Receiver(bed.ns.sink, bed.dev.sink, SINK6, OUT_PORT + 3, N, 10);
    await sendUdp6(bed.ns.src, bed.dev.src, IN6, PORT, N, 9, 1000);
    const got = await receiver.datagrams;
    expect(got.map((d) => d.payload).sort()).toEqual(Array.from({ length: N }, (_, n) => `seq ${n}`).sort());
    expect(new Set(got.map((d) => d.source))).toEqual(new Set([RELAY_OUT6]));
    expect(new Set(got.map((d) => d.hopLimit))).toEqual(new Set([3])); // min(3, 9 - 1)
    const c = await worker.waitFor((v) => v.forwarded >= N);
    expect(c).toMatchObject({ matched: N, forwarded: N, txErrors: 0 });
  });
});
