import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parseFrame } from '../src/index.js';
import { ipOffset, udpFrame } from '@mcr/netns-lab';

describe('parseFrame', () => {
  it('parses a valid UDP frame', () => {
    const payload = Buffer.from('0123456789');
    const frame = udpFrame({ source: '10.1.2.3', group: '239.1.1.1', sourcePort: 1234, port: 5001, ttl: 9, payload });
    expect(parseFrame(frame)).toEqual({
      kind: 'udp',
      family: 'ipv4',
      vlan: null,
      source: '10.1.2.3',
      group: '239.1.1.1',
      sourcePort: 1234,
      port: 5001,
      ttl: 9,
      payloadOffset: 42,
      payloadLength: 10,
    });
  });

  it('accepts Ethernet padding after the IPv4 packet', () => {
    const frame = Buffer.concat([udpFrame({ payload: Buffer.alloc(2) }), Buffer.alloc(16)]);
    expect(parseFrame(frame)).toMatchObject({ kind: 'udp', payloadLength: 2 });
  });

  it('reads one 802.1Q tag', () => {
    const parsed = parseFrame(udpFrame({ vlan: 42 }));
    expect(parsed).toMatchObject({ kind: 'udp', vlan: 42, payloadOffset: 46 });
  });

  it('treats a second VLAN tag (QinQ) as not IP', () => {
    const inner = udpFrame({ vlan: 7 });
    const frame = Buffer.concat([inner.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x05]), inner.subarray(12)]);
    expect(parseFrame(frame)).toEqual({ kind: 'not-ip' });
  });

  it('skips IPv4 options', () => {
    const parsed = parseFrame(udpFrame({ ipOptions: Buffer.from([1, 1, 1, 0, 1, 1, 1, 0]) }));
    expect(parsed).toMatchObject({ kind: 'udp', payloadOffset: 14 + 28 + 8 });
  });

  it('reports a truncated IPv4 header', () => {
    expect(parseFrame(udpFrame().subarray(0, 14 + 19))).toEqual({ kind: 'malformed', reason: 'truncated IPv4 header' });
  });

  it('reports a truncated Ethernet header', () => {
    expect(parseFrame(Buffer.alloc(13))).toMatchObject({ kind: 'malformed' });
  });

  it('reports IHL below 5', () => {
    const frame = udpFrame();
    frame[14] = 0x44;
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'IHL below 5' });
  });

  it('reports IHL past the end of the frame', () => {
    const frame = udpFrame({ payload: Buffer.alloc(0) }).subarray(0, 14 + 24);
    frame[14] = 0x4f; // 60-byte header in a 24-byte remainder
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'IHL past the end of the frame' });
  });

  it('reports a total length past the end of the frame', () => {
    const frame = udpFrame();
    frame.writeUInt16BE(frame.length, 16); // longer than frame minus Ethernet header
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'IPv4 total length past the end of the frame' });
  });

  it('reports a total length below the header length', () => {
    const frame = udpFrame();
    frame.writeUInt16BE(19, 16);
    expect(parseFrame(frame)).toMatchObject({ kind: 'malformed' });
  });

  it('reports fragments: MF set, or a non-zero offset', () => {
    expect(parseFrame(udpFrame({ fragment: { moreFragments: true, offset: 0 } }))).toEqual({ kind: 'fragment' });
    expect(parseFrame(udpFrame({ fragment: { moreFragments: false, offset: 185 } }))).toEqual({ kind: 'fragment' });
  });

  it('reports non-UDP (ICMP) as not-udp', () => {
    expect(parseFrame(udpFrame({ protocol: 1 }))).toEqual({ kind: 'not-udp' });
  });

  it('reports ARP as not-ipv4', () => {
    const arp = Buffer.alloc(42, 0);
    arp.fill(0xff, 0, 6);
    arp.writeUInt16BE(0x0806, 12);
    expect(parseFrame(arp)).toEqual({ kind: 'not-ip' });
  });

  it('reports a UDP length past the end of the IPv4 packet', () => {
    const frame = udpFrame({ payload: Buffer.alloc(10) });
    frame.writeUInt16BE(8 + 11, ipOffset(frame) + 20 + 4);
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'UDP length past the end of the IPv4 packet' });
  });

  it('reports a UDP length below 8', () => {
    const frame = udpFrame();
    frame.writeUInt16BE(7, 14 + 20 + 4);
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'UDP length below 8' });
  });

  it('reports a truncated UDP header', () => {
    const frame = udpFrame({ payload: Buffer.alloc(0) });
    frame.writeUInt16BE(20 + 4, 16); // IPv4 total length leaves 4 bytes for UDP
    expect(parseFrame(frame)).toEqual({ kind: 'malformed', reason: 'truncated UDP header' });
  });

  it('rejects a non-Buffer argument with a TypeError', () => {
    expect(() => parseFrame('x' as unknown as Buffer)).toThrow(TypeError);
  });

  it('never crashes on 20000 random and mutated frames, and stays within bounds', () => {
    const seeds = [udpFrame(), udpFrame({ vlan: 3 }), udpFrame({ ipOptions: Buffer.alloc(8, 1) }), udpFrame({ protocol: 1 })];
    const kinds = new Set(['udp', 'fragment', 'not-ip', 'not-udp', 'malformed']);
    for (let i = 0; i < 20000; i++) {
      let frame: Buffer;
      if (i % 2 === 0) {
        frame = randomBytes(i % 97);
        if (i % 4 === 0 && frame.length >= 14) frame.writeUInt16BE(0x0800, 12);
      } else {
        const seed = seeds[i % seeds.length]!;
        frame = Buffer.from(seed.subarray(0, (i * 7) % (seed.length + 1)));
        const flips = 1 + (i % 4);
        for (let f = 0; f < flips && frame.length > 0; f++) {
          frame[(i * 31 + f * 17) % frame.length] = randomBytes(1)[0]!;
        }
      }
      const parsed = parseFrame(frame);
      expect(kinds.has(parsed.kind)).toBe(true);
      if (parsed.kind === 'udp') {
        expect(parsed.payloadOffset + parsed.payloadLength).toBeLessThanOrEqual(frame.length);
      }
    }
  });
});
