// Egress integrity on real frames: what the sink's interface received is captured raw and its
// IPv4 and UDP checksums recomputed here. The input comes two ways: from mcr-send (a UDP socket:
// veth hands the frame over with a partial checksum, TP_STATUS_CSUMNOTREADY) and injected raw with
// a complete checksum (or none); plus the input header check and the TTL rules.
import { udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startCapture, udpFacts, withUdpChecksum } from './helpers/capture.js';
import { ChainBed, IN_GROUP, IN_PORT, OUT_PORT } from './helpers/chain-bed.js';

describe('egress integrity (src -> relay -> sink, raw capture in the sink)', () => {
  const bed = new ChainBed();
  beforeAll(() => bed.up());
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  async function capture(port: number, count: number) {
    const started = await startCapture(bed.ns.sink, bed.dev.sink, port, count);
    bed.onCleanup(async () => started.stop());
    return started;
  }

  it('computes the UDP checksum in full for a partial-checksum input (veth, mcr-send)', async () => {
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    const sink = await capture(OUT_PORT, 20);
    await bed.send(20, { ttl: 8 });
    const frames = await sink.frames;
    expect(frames).toHaveLength(20);
    for (const frame of frames) {
      expect(udpFacts(frame)).toMatchObject({ ttl: 7, ipChecksumOk: true, udpChecksumOk: true });
    }
    const c = await worker.waitFor((v) => v.forwarded >= 20);
    expect(c).toMatchObject({ matched: 20, forwarded: 20, badChecksum: 0, ttlExpired: 0 });
  });

  it('updates a complete UDP checksum incrementally, keeps a wrong one wrong, and 0 stays 0', async () => {
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    const sink = await capture(OUT_PORT, 4);
    const frame = (text: string) => udpFrame({ group: IN_GROUP, port: IN_PORT, ttl: 5, payload: Buffer.from(text) });
    const wrong = withUdpChecksum(frame('wrong, odd length'));
    wrong[wrong.length - 1]! ^= 0x01; // a payload bit flipped after the checksum: end-to-end, it must stay detectable
    await bed.inject([withUdpChecksum(frame('complete, odd length')), withUdpChecksum(frame('complete, even len')), wrong, frame('no checksum')]);
    const facts = new Map((await sink.frames).map((f) => [udpFacts(f).payload.toString(), udpFacts(f)]));
    expect(facts.size).toBe(4);
    expect(facts.get('complete, odd length')).toMatchObject({ ttl: 4, ipChecksumOk: true, udpChecksumOk: true });
    expect(facts.get('complete, even len')).toMatchObject({ ttl: 4, ipChecksumOk: true, udpChecksumOk: true });
    expect(facts.get('wrong, odd lengti')).toMatchObject({ ipChecksumOk: true, udpChecksumOk: false });
    expect(facts.get('wrong, odd lengti')!.udpChecksum).not.toBe(0);
    expect(facts.get('no checksum')).toMatchObject({ ipChecksumOk: true, udpChecksum: 0 });
    const c = await worker.waitFor((v) => v.forwarded >= 4);
    expect(c).toMatchObject({ matched: 4, forwarded: 4, badChecksum: 0 });
  });

  it('drops a frame whose IPv4 header checksum is wrong (badChecksum)', async () => {
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    const bad = udpFrame({ group: IN_GROUP, port: IN_PORT });
    bad[14 + 10]! ^= 0x40;
    await bed.inject([bad, bad]);
    const c = await worker.waitFor((v) => v.badChecksum >= 2);
    expect(c).toMatchObject({ badChecksum: 2, matched: 0, forwarded: 0 });
    expect(c.rules[0]!.matched).toBe(0);
  });

  it("decrements the TTL (min(ttl, input - 1), TTL <= 1 not sent: ttlExpired) unless ttlMode is 'set'", async () => {
    const decrement = bed.output(OUT_PORT, { ttl: 8 });
    const set = bed.output(OUT_PORT + 1, { ttl: 3, ttlMode: 'set' });
    const capped = bed.output(OUT_PORT + 2, { ttl: 2 });
    const worker = await bed.worker([bed.rule('r', [decrement, set, capped])]);
    const [toDecrement, toSet, toCapped] = [await capture(OUT_PORT, 1), await capture(OUT_PORT + 1, 3), await capture(OUT_PORT + 2, 1)];
    const frame = (ttl: number) => udpFrame({ group: IN_GROUP, port: IN_PORT, ttl, payload: Buffer.from(`ttl ${ttl}`) });
    await bed.inject([frame(1), frame(5), frame(0)]);
    const ttls = async (capture: { frames: Promise<Buffer[]> }) =>
      Object.fromEntries((await capture.frames).map((f) => [udpFacts(f).payload.toString(), udpFacts(f).ttl]));
    expect(await ttls(toDecrement)).toEqual({ 'ttl 5': 4 });
    expect(await ttls(toSet)).toEqual({ 'ttl 1': 3, 'ttl 5': 3, 'ttl 0': 3 });
    expect(await ttls(toCapped)).toEqual({ 'ttl 5': 2 });
    const c = await worker.waitFor((v) => v.matched >= 3);
    // Two frames expired (counted once each, whatever the number of decrementing outputs).
    expect(c).toMatchObject({ matched: 3, ttlExpired: 2, forwarded: 5 });
    expect(c.rules[0]!.outputs.map((o) => o.packets)).toEqual([1, 3, 1]);
  });

  it('applies the same TTL rules to a unicast output (UDP socket path, TTL per packet)', async () => {
    const unicast = bed.output(OUT_PORT + 3, { group: bed.sinkAddress, ttl: 8 });
    const worker = await bed.worker([bed.rule('r', [unicast])]);
    const sink = await capture(OUT_PORT + 3, 2);
    const frame = (ttl: number) => udpFrame({ group: IN_GROUP, port: IN_PORT, ttl, payload: Buffer.from(`ttl ${ttl}`) });
    await bed.inject([frame(1), frame(5), frame(20)]);
    // The kernel's UDP path builds these headers; over veth its UDP checksum stays partial (the
    // capture sees only the pseudo-header seed), so only the TTL and the IPv4 header are ours to check.
    const facts = (await sink.frames).map(udpFacts);
    expect(facts.map((f) => [f.payload.toString(), f.ttl, f.ipChecksumOk])).toEqual([
      ['ttl 5', 4, true],
      ['ttl 20', 8, true],
    ]);
    expect(await worker.waitFor((v) => v.matched >= 3)).toMatchObject({ matched: 3, ttlExpired: 1, forwarded: 2 });
  });
});
