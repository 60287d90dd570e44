// Crafted Ethernet/IPv6/UDP frames for the parser, the fuzz seeds and raw injection, and the
// checks made on what a sink captured (hop limit, addresses, UDP checksum recomputed).
import { addressBytes, parseIpAddress } from '../../src/ip-address.js';
import { fold, sum16 } from './ones-complement.js';

export interface ExtensionHeaderSpec {
  type: number; // next-header value of this header (0 Hop-by-Hop, 60 Destination Options, 43 Routing, 44 Fragment, ...)
  /** Total length in bytes, a multiple of 8 (Fragment: always 8). Default 8. */
  length?: number;
}

export interface Udp6FrameOptions {
  sourceMac?: string;
  source?: string;
  group?: string;
  sourcePort?: number;
  port?: number;
  hopLimit?: number;
  trafficClass?: number;
  payload?: Buffer;
  vlan?: number; // an in-frame 802.1Q tag
  extensionHeaders?: ExtensionHeaderSpec[];
  /** 'valid' (default): a correct UDP checksum; 'zero': 0; a number: written as is. */
  checksum?: 'valid' | 'zero' | number;
}

function address(text: string): Buffer {
  const a = parseIpAddress(text);
  if (a === null || a.family !== 'ipv6') throw new RangeError(`not an IPv6 address: ${text}`);
  return addressBytes(a);
}

/** The UDP checksum over the IPv6 pseudo-header, the UDP header (checksum field as is) and payload. */
export function udp6Sum(source: Buffer, destination: Buffer, udp: Buffer): number {
  const pseudo = Buffer.alloc(40);
  source.copy(pseudo, 0);
  destination.copy(pseudo, 16);
  pseudo.writeUInt32BE(udp.length, 32);
  pseudo[39] = 17;
  return fold(sum16(pseudo) + sum16(udp));
}

/** 33:33 + the low 32 bits of the group (RFC 2464). */
export function multicastMac6(group: string): Buffer {
  return Buffer.concat([Buffer.from([0x33, 0x33]), address(group).subarray(12)]);
}

export function udp6Frame(options: Udp6FrameOptions = {}): Buffer {
  const group = options.group ?? 'ff3e::1:2';
  const source = address(options.source ?? 'fd00:0:0:1::1');
  const destination = address(group);
  const payload = options.payload ?? Buffer.from('mcr ipv6 payload');
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(options.sourcePort ?? 40000, 0);
  udp.writeUInt16BE(options.port ?? 5001, 2);
  udp.writeUInt16BE(udp.length, 4);
  payload.copy(udp, 8);
  const checksum = options.checksum ?? 'valid';
  if (checksum === 'valid') {
    const c = ~udp6Sum(source, destination, udp) & 0xffff;
    udp.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  } else if (checksum !== 'zero') {
    udp.writeUInt16BE(checksum, 6);
  }
  // Extension headers, each pointing at the next; the last at UDP.
  const headers = options.extensionHeaders ?? [];
  const chain = headers.map((h, i) => {
    const length = h.type === 44 ? 8 : (h.length ?? 8);
    const bytes = Buffer.alloc(length);
    bytes[0] = i + 1 < headers.length ? headers[i + 1]!.type : 17;
    if (h.type !== 44) bytes[1] = length / 8 - 1;
    if (h.type === 0 || h.type === 60) bytes[2] = 1; // PadN option filling the rest
    if (h.type === 0 || h.type === 60) bytes[3] = length - 4;
    return bytes;
  });
  const ipPayload = Buffer.concat([...chain, udp]);
  const ip = Buffer.alloc(40);
  const tc = options.trafficClass ?? 0;
  ip.writeUInt32BE(((6 << 28) | (tc << 20)) >>> 0, 0);
  ip.writeUInt16BE(ipPayload.length, 4);
  ip[6] = headers.length > 0 ? headers[0]!.type : 17;
  ip[7] = options.hopLimit ?? 8;
  source.copy(ip, 8);
  destination.copy(ip, 24);
  const mac = multicastMac6(group);
  const srcMac = Buffer.from((options.sourceMac ?? '02:00:00:00:00:aa').split(':').map((x) => parseInt(x, 16)));
  const ethType = Buffer.from([0x86, 0xdd]);
  const tag = options.vlan === undefined ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, (options.vlan >> 8) & 0x0f, options.vlan & 0xff]);
  return Buffer.concat([mac, srcMac, tag, ethType, ip, ipPayload]);
}

export interface Udp6Facts {
  destinationMac: Buffer;
  hopLimit: number;
  source: Buffer;
  destination: Buffer;
  nextHeader: number;
  payloadLengthOk: boolean;
  udpChecksum: number;
  udpChecksumOk: boolean; // non-zero and the sum verifies
  port: number;
  payload: Buffer;
}

/** Reads an untagged Ethernet/IPv6/UDP frame (no extension header) and recomputes the checksum. */
export function udp6Facts(frame: Buffer): Udp6Facts {
  const ip = frame.subarray(14);
  const payloadLength = ip.readUInt16BE(4);
  const udp = ip.subarray(40, 40 + ip.readUInt16BE(44));
  const source = Buffer.from(ip.subarray(8, 24));
  const destination = Buffer.from(ip.subarray(24, 40));
  const udpChecksum = udp.readUInt16BE(6);
  return {
    destinationMac: Buffer.from(frame.subarray(0, 6)),
    hopLimit: ip[7]!,
    source,
    destination,
    nextHeader: ip[6]!,
    payloadLengthOk: payloadLength === udp.length,
    udpChecksum,
    udpChecksumOk: udpChecksum !== 0 && udp6Sum(source, destination, udp) === 0xffff,
    port: udp.readUInt16BE(2),
    payload: Buffer.from(udp.subarray(8)),
  };
}
