import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parseFrame } from '../src/index.js';
import { ipOffset, udpFrame } from '@mcr/netns-lab';
import { udp6Frame } from './helpers/frames6.js';

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
    const seeds = [
      udpFrame(),
      udpFrame({ vlan: 3 }),
      udpFrame({ ipOptions: Buffer.alloc(8, 1) }),
      udpFrame({ protocol: 1 }),
      udp6Frame(),
      udp6Frame({ vlan: 5, extensionHeaders: [{ type: 0, length: 16 }, { type: 60 }] }),
      udp6Frame({ extensionHeaders: [{ type: 44 }] }),
    ];
    const kinds = new Set(['udp', 'fragment', 'not-ip', 'not-udp', 'extension-header', 'malformed']);
    for (let i = 0; i < 20000; i++) {
      let frame: Buffer;
      if (i % 2 === 0) {
        frame = randomBytes(i % 97);
        if (i % 4 === 0 && frame.length >= 14) frame.writeUInt16BE(i % 8 === 0 ? 0x0800 : 0x86dd, 12);
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

  describe('IPv6', () => {
    it('parses a valid UDP frame', () => {
      const frame = udp6Frame({ source: 'fd00:0:0:1::1', group: 'ff3e::1:2', sourcePort: 1234, port: 5001, hopLimit: 9, payload: Buffer.from('0123456789') });
      expect(parseFrame(frame)).toEqual({
        kind: 'udp',
        family: 'ipv6',
        vlan: null,
        source: 'fd00:0:0:1::1',
        group: 'ff3e::1:2',
        sourcePort: 1234,
        port: 5001,
        ttl: 9,
        payloadOffset: 14 + 40 + 8,
        payloadLength: 10,
      });
    });

    it('reads an 802.1Q tag and accepts Ethernet padding', () => {
      expect(parseFrame(udp6Frame({ vlan: 42 }))).toMatchObject({ kind: 'udp', family: 'ipv6', vlan: 42, payloadOffset: 18 + 48 });
      const padded = Buffer.concat([udp6Frame({ payload: Buffer.alloc(2) }), Buffer.alloc(16)]);
      expect(parseFrame(padded)).toMatchObject({ kind: 'udp', payloadLength: 2 });
    });

    it('walks Hop-by-Hop and Destination Options headers to UDP', () => {
      const frame = udp6Frame({ extensionHeaders: [{ type: 0, length: 8 }, { type: 60, length: 24 }], payload: Buffer.from('xyz') });
      expect(parseFrame(frame)).toMatchObject({ kind: 'udp', payloadOffset: 14 + 40 + 8 + 24 + 8, payloadLength: 3 });
    });

    it('counts a Fragment header as a fragment, also after option headers', () => {
      expect(parseFrame(udp6Frame({ extensionHeaders: [{ type: 44 }] }))).toEqual({ kind: 'fragment' });
      expect(parseFrame(udp6Frame({ extensionHeaders: [{ type: 0 }, { type: 44 }] }))).toEqual({ kind: 'fragment' });
    });

    it('reports Routing, AH, ESP and unknown extension headers, a late Hop-by-Hop and too many option headers', () => {
      for (const type of [43, 51, 50, 135, 253]) {
        expect(parseFrame(udp6Frame({ extensionHeaders: [{ type }] }))).toEqual({ kind: 'extension-header', nextHeader: type });
      }
      expect(parseFrame(udp6Frame({ extensionHeaders: [{ type: 60 }, { type: 43 }] }))).toEqual({ kind: 'extension-header', nextHeader: 43 });
      expect(parseFrame(udp6Frame({ extensionHeaders: [{ type: 60 }, { type: 0 }] }))).toEqual({ kind: 'extension-header', nextHeader: 0 });
      const four = [{ type: 0 }, { type: 60 }, { type: 60 }, { type: 60 }];
      expect(parseFrame(udp6Frame({ extensionHeaders: four }))).toEqual({ kind: 'extension-header', nextHeader: 60 });
      expect(parseFrame(udp6Frame({ extensionHeaders: four.slice(0, 3) }))).toMatchObject({ kind: 'udp' });
    });

    it('reports other upper layers as not UDP', () => {
      const frame = udp6Frame();
      frame[14 + 6] = 58; // ICMPv6
      expect(parseFrame(frame)).toEqual({ kind: 'not-udp' });
    });

    it('reports malformed IPv6 headers, option headers, UDP lengths and a checksum of 0', () => {
      const frame = udp6Frame();
      expect(parseFrame(frame.subarray(0, 14 + 39))).toEqual({ kind: 'malformed', reason: 'truncated IPv6 header' });
      const version = Buffer.from(frame);
      version[14] = 0x40;
      expect(parseFrame(version)).toEqual({ kind: 'malformed', reason: 'IP version is not 6' });
      const jumbo = Buffer.from(frame);
      jumbo.writeUInt16BE(0, 14 + 4);
      expect(parseFrame(jumbo)).toEqual({ kind: 'malformed', reason: 'IPv6 payload length 0 (jumbogram)' });
      const long = Buffer.from(frame);
      long.writeUInt16BE(frame.length - 14 - 40 + 1, 14 + 4);
      expect(parseFrame(long)).toEqual({ kind: 'malformed', reason: 'IPv6 payload length past the end of the frame' });
      const option = udp6Frame({ extensionHeaders: [{ type: 0 }] });
      option[14 + 40 + 1] = 10; // 88 bytes: past the packet
      expect(parseFrame(option)).toEqual({ kind: 'malformed', reason: 'IPv6 option header past the end of the packet' });
      const shortOption = udp6Frame({ extensionHeaders: [{ type: 0 }], payload: Buffer.alloc(0) });
      shortOption.writeUInt16BE(4, 14 + 4);
      expect(parseFrame(shortOption.subarray(0, 14 + 44))).toEqual({ kind: 'malformed', reason: 'truncated IPv6 option header' });
      const udpLong = udp6Frame();
      udpLong.writeUInt16BE(udpLong.length - 14 - 40 + 1, 14 + 40 + 4);
      expect(parseFrame(udpLong)).toEqual({ kind: 'malformed', reason: 'UDP length past the end of the IPv6 packet' });
      expect(parseFrame(udp6Frame({ checksum: 'zero' }))).toEqual({ kind: 'malformed', reason: 'IPv6 UDP checksum 0' });
    });
  });
});
