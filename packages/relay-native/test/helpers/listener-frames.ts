// IGMP and MLD bytes built by hand for the ListenerSocket tests (relay-native cannot use the relay's
// codecs: the relay depends on relay-native, not the reverse): the queries a router sends, the
// records of a host's reports, Ethernet frames to inject (well-formed or not), and what a raw capture
// of a sent frame shows.
import { addressBytes, formatAddress, parseIpAddress, type AddressFamily } from '../../src/ip-address.js';
import { formatMac, macToBuffer } from '../../src/ipv4.js';
import { multicastMac6 } from './frames6.js';
import { fold, sum16 } from './ones-complement.js';

const bytesOf = (text: string): Buffer => addressBytes(parseIpAddress(text)!);

/** The Internet checksum over `parts` (each of even length but the last). */
function checksum(...parts: Buffer[]): number {
  return ~fold(parts.reduce((sum, part) => sum + sum16(part), 0)) & 0xffff;
}

/** The ICMPv6 pseudo-header (RFC 8200 §8.1) of a message of `length` bytes. */
function pseudoHeader6(source: string, destination: string, length: number): Buffer {
  const pseudo = Buffer.alloc(40);
  bytesOf(source).copy(pseudo, 0);
  bytesOf(destination).copy(pseudo, 16);
  pseudo.writeUInt32BE(length, 32);
  pseudo[39] = 58;
  return pseudo;
}

/** `message` with its IGMP checksum (bytes 2-3) filled in. */
export function withIgmpChecksum(message: Buffer): Buffer {
  const m = Buffer.from(message);
  m.writeUInt16BE(0, 2);
  m.writeUInt16BE(checksum(m), 2);
  return m;
}

/** `message` with its ICMPv6 checksum (bytes 2-3) filled in over the pseudo-header. */
export function withIcmpv6Checksum(message: Buffer, source: string, destination: string): Buffer {
  const m = Buffer.from(message);
  m.writeUInt16BE(0, 2);
  m.writeUInt16BE(checksum(pseudoHeader6(source, destination, m.length), m), 2);
  return m;
}

export const igmpChecksumOk = (message: Buffer): boolean => fold(sum16(message)) === 0xffff;

export function icmpv6ChecksumOk(message: Buffer, source: string, destination: string): boolean {
  return fold(sum16(pseudoHeader6(source, destination, message.length)) + sum16(message)) === 0xffff;
}

/** An IGMPv3 general query (RFC 3376 §4.1): max response `tenths` of a second, QRV 2, QQIC 125 s. */
export function igmpGeneralQuery(tenths = 10): Buffer {
  return withIgmpChecksum(Buffer.from([0x11, tenths, 0, 0, 0, 0, 0, 0, 0x02, 125, 0, 0]));
}

/** An IGMPv2 membership report (type 0x16) for `group`. */
export function igmpV2Report(group: string): Buffer {
  return withIgmpChecksum(Buffer.concat([Buffer.from([0x16, 0, 0, 0]), bytesOf(group)]));
}

/** An MLDv2 general query (RFC 3810 §5.1) from `source` to ff02::1: max response `ms`, QRV 2, QQIC 125 s. */
export function mldGeneralQuery(source: string, ms = 1000): Buffer {
  const q = Buffer.alloc(28);
  q[0] = 130;
  q.writeUInt16BE(ms, 4);
  q[24] = 0x02;
  q[25] = 125;
  return withIcmpv6Checksum(q, source, 'ff02::1');
}

/** An MLD message of `type` (131 v1 report, 132 done, 130 v1 query) for `group`, 24 bytes. */
export function mldV1Message(type: number, group: string, source: string, destination: string): Buffer {
  return withIcmpv6Checksum(Buffer.concat([Buffer.from([type, 0, 0, 0, 0, 0, 0, 0]), bytesOf(group)]), source, destination);
}

export interface GroupRecord {
  type: number; // 1 MODE_IS_INCLUDE, 2 MODE_IS_EXCLUDE, 3 CHANGE_TO_INCLUDE, 4 CHANGE_TO_EXCLUDE, 5 ALLOW, 6 BLOCK
  group: string;
  sources: number;
}

/** The group records of an IGMPv3 (0x22) or MLDv2 (143) report. */
export function reportRecords(payload: Buffer, family: AddressFamily): GroupRecord[] {
  const size = family === 'ipv6' ? 16 : 4;
  const records: GroupRecord[] = [];
  let offset = 8;
  for (let i = 0; i < payload.readUInt16BE(6); i++) {
    const sources = payload.readUInt16BE(offset + 2);
    records.push({ type: payload[offset]!, group: formatAddress(payload.subarray(offset + 4, offset + 4 + size)), sources });
    offset += 4 + size + sources * size + payload[offset + 1]! * 4;
  }
  return records;
}

/** 01:00:5e + the low 23 bits of an IPv4 group (RFC 1112 §6.4). */
export function multicastMac4(group: string): Buffer {
  const g = bytesOf(group);
  return Buffer.from([0x01, 0x00, 0x5e, g[1]! & 0x7f, g[2]!, g[3]!]);
}

/** Router Alert as an IPv4 option (RFC 2113): what IGMP carries. */
export const ROUTER_ALERT_OPTION = Buffer.from([0x94, 0x04, 0x00, 0x00]);

export interface Ipv4FrameOptions {
  source: string;
  destination: string;
  payload: Buffer;
  sourceMac?: string;
  destinationMac?: Buffer; // default: the destination's multicast MAC
  ttl?: number; // default 1
  options?: Buffer; // default ROUTER_ALERT_OPTION; a multiple of 4 bytes
  protocol?: number; // default 2 (IGMP)
  fragment?: number; // the flags + offset word, default 0x4000 (DF)
  totalLengthDelta?: number; // added to the correct total length (a lie about the packet's size)
  badChecksum?: boolean; // the header checksum off by one bit pattern
  padTo?: number; // the frame padded with zeros to this length (Ethernet's 60-byte minimum)
}

/** An Ethernet/IPv4 frame carrying `payload`, with a correct header checksum unless told otherwise. */
export function ipv4Frame(o: Ipv4FrameOptions): Buffer {
  const options = o.options ?? ROUTER_ALERT_OPTION;
  const ip = Buffer.alloc(20 + options.length);
  ip[0] = 0x40 | (ip.length / 4);
  ip[1] = 0xc0;
  ip.writeUInt16BE(ip.length + o.payload.length + (o.totalLengthDelta ?? 0), 2);
  ip.writeUInt16BE(o.fragment ?? 0x4000, 6);
  ip[8] = o.ttl ?? 1;
  ip[9] = o.protocol ?? 2;
  bytesOf(o.source).copy(ip, 12);
  bytesOf(o.destination).copy(ip, 16);
  options.copy(ip, 20);
  ip.writeUInt16BE(checksum(ip) ^ (o.badChecksum ? 0x0101 : 0), 10);
  const frame = Buffer.concat([
    o.destinationMac ?? multicastMac4(o.destination),
    macToBuffer(o.sourceMac ?? '02:00:00:00:00:aa')!,
    Buffer.from([0x08, 0x00]),
    ip,
    o.payload,
  ]);
  return o.padTo !== undefined && frame.length < o.padTo ? Buffer.concat([frame, Buffer.alloc(o.padTo - frame.length)]) : frame;
}

/** The Hop-by-Hop header MLD rides behind (RFC 2711 Router Alert value 0, PadN), pointing at `next`. */
export const routerAlertHopByHop = (next = 58): Buffer => Buffer.from([next, 0, 5, 2, 0, 0, 1, 0]);

export interface Ipv6FrameOptions {
  source: string;
  destination: string;
  payload: Buffer;
  sourceMac?: string;
  destinationMac?: Buffer; // default: the destination's multicast MAC
  hopLimit?: number; // default 1
  hopByHop?: Buffer | null; // default routerAlertHopByHop(); null: none
  nextHeader?: number; // the payload's protocol, default 58 (ICMPv6)
  payloadLengthDelta?: number; // added to the correct payload length
  trailing?: number; // bytes after the packet (as a padded frame would have)
}

/** An Ethernet/IPv6 frame carrying `payload`, behind a Hop-by-Hop header unless told otherwise. */
export function ipv6Frame(o: Ipv6FrameOptions): Buffer {
  const hopByHop = o.hopByHop === undefined ? routerAlertHopByHop(o.nextHeader ?? 58) : o.hopByHop;
  const extension = hopByHop ?? Buffer.alloc(0);
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(extension.length + o.payload.length + (o.payloadLengthDelta ?? 0), 4);
  ip[6] = hopByHop === null ? (o.nextHeader ?? 58) : 0;
  ip[7] = o.hopLimit ?? 1;
  bytesOf(o.source).copy(ip, 8);
  bytesOf(o.destination).copy(ip, 24);
  return Buffer.concat([
    o.destinationMac ?? multicastMac6(o.destination),
    macToBuffer(o.sourceMac ?? '02:00:00:00:00:aa')!,
    Buffer.from([0x86, 0xdd]),
    ip,
    extension,
    o.payload,
    Buffer.alloc(o.trailing ?? 0),
  ]);
}

export interface SentIpv4Facts {
  destinationMac: string;
  sourceMac: string;
  ethertype: number;
  headerLength: number;
  tos: number;
  totalLength: number;
  flags: number; // the flags + offset word
  ttl: number;
  protocol: number;
  headerChecksumOk: boolean;
  source: string;
  destination: string;
  options: string; // hex
  payload: Buffer;
}

/** An untagged Ethernet/IPv4 frame as captured, field by field, its header checksum recomputed. */
export function ipv4Facts(frame: Buffer): SentIpv4Facts {
  const ip = frame.subarray(14);
  const headerLength = (ip[0]! & 0x0f) * 4;
  const totalLength = ip.readUInt16BE(2);
  return {
    destinationMac: formatMac(frame.subarray(0, 6)),
    sourceMac: formatMac(frame.subarray(6, 12)),
    ethertype: frame.readUInt16BE(12),
    headerLength,
    tos: ip[1]!,
    totalLength,
    flags: ip.readUInt16BE(6),
    ttl: ip[8]!,
    protocol: ip[9]!,
    headerChecksumOk: fold(sum16(ip.subarray(0, headerLength))) === 0xffff,
    source: formatAddress(ip.subarray(12, 16)),
    destination: formatAddress(ip.subarray(16, 20)),
    options: ip.subarray(20, headerLength).toString('hex'),
    payload: Buffer.from(ip.subarray(headerLength, totalLength)),
  };
}

export interface SentIpv6Facts {
  destinationMac: string;
  sourceMac: string;
  ethertype: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
  hopByHop: string; // hex of the first 8 bytes after the fixed header
  payload: Buffer; // after those 8 bytes, up to the payload length
}

/** An untagged Ethernet/IPv6 frame with an 8-byte Hop-by-Hop header as captured, field by field. */
export function ipv6Facts(frame: Buffer): SentIpv6Facts {
  const ip = frame.subarray(14);
  const payloadLength = ip.readUInt16BE(4);
  return {
    destinationMac: formatMac(frame.subarray(0, 6)),
    sourceMac: formatMac(frame.subarray(6, 12)),
    ethertype: frame.readUInt16BE(12),
    payloadLength,
    nextHeader: ip[6]!,
    hopLimit: ip[7]!,
    source: formatAddress(ip.subarray(8, 24)),
    destination: formatAddress(ip.subarray(24, 40)),
    hopByHop: ip.subarray(40, 48).toString('hex'),
    payload: Buffer.from(ip.subarray(48, 40 + payloadLength)),
  };
}
