// Crafted sequences (--seq-list) and corrupted payloads (--corrupt): the receiver's counts are
// computed by hand below and asserted exactly; the same through raw frames (--raw) and several
// processes (--senders), which must not change a byte of the payload.
import { describe, expect, it } from 'vitest';
import { injectFrames, ipOffset, runSender, startReceiver, udpFrame, type ReceiverOptions, type SenderOptions, type StreamReport } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

/** Writes the UDP checksum of an IPv4 frame built by udpFrame (RFC 768: pseudo-header + datagram), or `value`. */
function setUdpChecksum(frame: Buffer, value?: number): Buffer {
  const ip = ipOffset(frame);
  const udp = ip + (frame[ip]! & 0x0f) * 4;
  const udpLen = frame.readUInt16BE(udp + 4);
  frame.writeUInt16BE(0, udp + 6);
  let sum = 17 + udpLen;
  for (let i = ip + 12; i < ip + 20; i += 2) sum += frame.readUInt16BE(i);
  for (let i = 0; i < udpLen; i += 2) sum += i + 1 < udpLen ? frame.readUInt16BE(udp + i) : frame[udp + i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  frame.writeUInt16BE(value ?? (~sum & 0xffff || 0xffff), udp + 6);
  return frame;
}

const stream = { group: '239.201.2.1', port: 5100 };

describe('crafted sequences and corruption', () => {
  const lab = useLabPair();

  async function exchange(send: Partial<SenderOptions>, recv: Partial<ReceiverOptions> = {}): Promise<StreamReport> {
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams: [stream], idleMs: 300, durationSec: 60, ...recv });
    try {
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: [stream], ...send });
      const report = await receiver.result;
      return report.streams[0]!;
    } finally {
      await receiver.stop();
    }
  }

  it('0,1,1,2,5,4,3 with --expect 7: 1 duplicate, 2 reordered (4 and 3 after 5), 1 missing (6)', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2, 5, 4, 3] }, { expect: 7 });
    expect(s).toMatchObject({ received: 7, unique: 6, duplicates: 1, reordered: 2, missing: 1, corrupt: 0, foreign: 0 });
  });

  it('0,1,1,2,5,4,3 without --expect: missing = highest 5 + 1 - 6 unique = 0', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2, 5, 4, 3] });
    expect(s).toMatchObject({ received: 7, unique: 6, duplicates: 1, reordered: 2, missing: 0 });
  });

  it('gaps: 0,2,4,9 -> missing 6 (1,3,5,6,7,8), nothing reordered', async () => {
    const s = await exchange({ seqList: [0, 2, 4, 9] });
    expect(s).toMatchObject({ received: 4, unique: 4, duplicates: 0, reordered: 0, missing: 6 });
  });

  it('--corrupt: the flipped packets are corrupt, not unique, and show up as missing', async () => {
    const s = await exchange({ count: 10, corrupt: [3, 7] }, { expect: 10 });
    expect(s).toMatchObject({ received: 10, unique: 8, duplicates: 0, corrupt: 2, missing: 2, foreign: 0 });
  });

  it('--corrupt hits every copy of a duplicated seq', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2], corrupt: [1] });
    // Valid: 0 and 2 (unique 2); both copies of 1 corrupt; missing = 2 + 1 - 2 = 1.
    expect(s).toMatchObject({ received: 4, unique: 2, duplicates: 0, corrupt: 2, missing: 1, reordered: 0 });
  });

  it('every payload size at the limits passes the checksum', async () => {
    for (const size of [64, 65, 1472, 8972]) {
      const s = await exchange({ count: 20, size }, { expect: 20 });
      expect({ size, ...s }).toMatchObject({ size, received: 20, unique: 20, corrupt: 0, missing: 0 });
    }
  });

  it('--raw: the crafted sequence and the corruption counts are the same', async () => {
    const a = await exchange({ seqList: [0, 1, 1, 2, 5, 4, 3], raw: true }, { expect: 7 });
    expect(a).toMatchObject({ received: 7, unique: 6, duplicates: 1, reordered: 2, missing: 1, corrupt: 0, foreign: 0 });
    const b = await exchange({ count: 10, corrupt: [3, 7], raw: true }, { expect: 10 });
    expect(b).toMatchObject({ received: 10, unique: 8, duplicates: 0, corrupt: 2, missing: 2, foreign: 0 });
  });

  it('--senders 2 (one process per stream): each process sends the whole list and the corruption on its stream', async () => {
    const two = [stream, { group: '239.201.2.2', port: 5101 }];
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams: two, expect: 7, idleMs: 300, durationSec: 60 });
    try {
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: two, seqList: [0, 1, 1, 2, 5, 4, 3], corrupt: [2], senders: 2 });
      for (const s of (await receiver.result).streams) {
        // Valid: 0, 1, 1 (dup), 5, 4, 3; seq 2 corrupt; missing = 7 expected - 5 unique.
        expect(s).toMatchObject({ received: 7, unique: 5, duplicates: 1, reordered: 2, corrupt: 1, missing: 2, foreign: 0 });
      }
    } finally {
      await receiver.stop();
    }
  });

  // Odd sizes leave a last pattern word short and the UDP datagram odd: the checksum's padding.
  it('--raw: every payload size that fits the MTU, odd ones included, arrives valid', async () => {
    for (const size of [64, 65, 289, 1001, 1471, 1472]) {
      const s = await exchange({ count: 20, size, raw: true }, { expect: 20 });
      expect({ size, ...s }).toMatchObject({ size, received: 20, unique: 20, corrupt: 0, missing: 0 });
    }
  });

  // The receiving kernel verifies the UDP checksum of a raw frame on veth (AF_PACKET frames carry
  // no checksum offload state) and drops a wrong one before any socket: so every --raw datagram
  // counted above had a valid one. The control: the same injected frame, right and then wrong.
  it('negative control: an injected frame with a wrong UDP checksum never reaches mcr-recv, the right one does', async () => {
    const frame = (checksum?: number) =>
      setUdpChecksum(udpFrame({ group: stream.group, port: stream.port, source: lab().sender.ip, payload: Buffer.alloc(100, 7) }), checksum);
    const right = frame();
    const wrong = frame(right.readUInt16BE(ipOffset(right) + 20 + 6) ^ 0x0101);
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams: [stream], durationSec: 60, idleMs: 300 });
    try {
      await injectFrames(lab().sender.ns, lab().sender.ifname, [wrong, wrong, right, wrong]);
      const s = (await receiver.result).streams[0]!;
      // The one that arrives is not an mcr-send payload: counted as received and corrupt (bad magic).
      expect(s).toMatchObject({ received: 1, corrupt: 1, unique: 0 });
    } finally {
      await receiver.stop();
    }
  });
});
