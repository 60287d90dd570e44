// Full-size frames at any MTU: the ring's slots must hold every frame that fits the input's MTU (plus a
// VLAN tag), or the worker sees a truncated copy (tp_snaplen < tp_len) and relays nothing. The sweep
// takes MTUs on both sides of every power-of-two slot boundary, where header room runs out first.
import { inNetns, runSender, udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startCapture, withUdpChecksum } from './helpers/capture.js';
import { ChainBed, IN_GROUP, IN_PORT, OUT_PORT } from './helpers/chain-bed.js';

const FRAMES = 8; // untagged full-size frames per MTU, and as many tagged ones
const VLAN = 7;

/**
 * A slot of 2^k bytes holds the tpacket2 header and sockaddr_ll (80 bytes, aligned, before the network
 * header) and the packet: MTU 2^k - 80 is the largest that fits. Around each boundary: the last MTU
 * that fits, the first that does not, and a few beyond.
 */
function sweep(): number[] {
  const mtus = new Set([576, 1500, 1980, 9000, 9216]);
  for (const slot of [1024, 2048, 4096, 8192]) for (const offset of [-84, -81, -80, -79, -66, -65]) mtus.add(slot + offset);
  return [...mtus].sort((a, b) => a - b);
}

describe('ring slots sized from the input MTU', () => {
  const bed = new ChainBed();
  beforeAll(() => bed.up());
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  async function setMtu(mtu: number): Promise<void> {
    await inNetns(bed.ns.src, 'ip', ['link', 'set', 'dev', bed.dev.src, 'mtu', String(mtu)]);
    await inNetns(bed.ns.relay, 'ip', ['link', 'set', 'dev', bed.dev.relayIn, 'mtu', String(mtu)]);
    await inNetns(bed.ns.relay, 'ip', ['link', 'set', 'dev', bed.dev.relayOut, 'mtu', String(mtu)]);
    await inNetns(bed.ns.sink, 'ip', ['link', 'set', 'dev', bed.dev.sink, 'mtu', String(mtu)]);
  }

  it('relays every full-size datagram (IP length = MTU), untagged and tagged, at MTUs 576..9216', async () => {
    const results: Array<{ mtu: number; forwarded: number; malformed: number; atSink: number; sinkLengths: number[] }> = [];
    for (const mtu of sweep()) {
      await setMtu(mtu);
      // The worker sizes its ring when it opens: one per MTU.
      const worker = await bed.worker([
        bed.rule('plain', [bed.output(OUT_PORT)]),
        bed.rule('tagged', [bed.output(OUT_PORT + 1)], { vlan: VLAN }),
      ]);
      const payload = (seq: number) => Buffer.alloc(mtu - 28, seq);
      const frames = Array.from({ length: FRAMES }, (_, seq) => withUdpChecksum(udpFrame({ group: IN_GROUP, port: IN_PORT, payload: payload(seq) })));
      const tagged = Array.from({ length: FRAMES }, (_, seq) =>
        withUdpChecksum(udpFrame({ group: IN_GROUP, port: IN_PORT, payload: payload(seq), vlan: VLAN })),
      );
      const plainCapture = await startCapture(bed.ns.sink, bed.dev.sink, OUT_PORT, FRAMES, 5);
      const taggedCapture = await startCapture(bed.ns.sink, bed.dev.sink, OUT_PORT + 1, FRAMES, 5);
      await bed.inject([...frames, ...tagged]);
      const c = await worker.waitFor((v) => v.framesSeen >= 2 * FRAMES);
      const atSink = [...(await plainCapture.frames), ...(await taggedCapture.frames)];
      results.push({ mtu, forwarded: c.forwarded, malformed: c.malformed, atSink: atSink.length, sinkLengths: [...new Set(atSink.map((f) => f.length))] });
      await worker.stop();
      await worker.agent.close();
    }
    // Every MTU, with what went wrong where it did, in one assertion.
    expect(results).toEqual(
      results.map(({ mtu }) => ({ mtu, forwarded: 2 * FRAMES, malformed: 0, atSink: 2 * FRAMES, sinkLengths: [mtu + 14] })),
    );
  });

  it('relays 1000 of 1000 datagrams of 1952 bytes from a UDP socket at MTU 1980', async () => {
    await setMtu(1980);
    const worker = await bed.worker([bed.rule('plain', [bed.output()])]);
    const sent = await runSender({ netns: bed.ns.src, interface: bed.dev.src, streams: [{ group: IN_GROUP, port: IN_PORT }], count: 1000, size: 1952, rate: 10_000 });
    expect(sent.sent).toBe(1000);
    const c = await worker.waitFor((v) => v.framesSeen >= 1000);
    expect(c).toMatchObject({ framesSeen: 1000, matched: 1000, forwarded: 1000, malformed: 0, txErrors: 0 });
  });
});
