import { fileURLToPath } from 'node:url';
import { inNetns } from '../netns/index.js';

// Crafted Ethernet/IPv4/UDP frames: for parser and data-plane tests, the bench's hot-path entry, and
// injecting what no ordinary socket sends (malformed headers, fragments) into a running relay.

export interface FrameOptions {
  source?: string;
  group?: string;
  sourcePort?: number;
  port?: number;
  ttl?: number;
  payload?: Buffer;
  vlan?: number | null;
  ipOptions?: Buffer; // multiple of 4 bytes
  protocol?: number;
  fragment?: { moreFragments: boolean; offset: number };
}

function ipBytes(text: string): number[] {
  return text.split('.').map(Number);
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function udpFrame(o: FrameOptions = {}): Buffer {
  const payload = o.payload ?? Buffer.from('hello multicast');
  const group = o.group ?? '239.1.1.1';
  const g = ipBytes(group);
  const eth = Buffer.from([0x01, 0x00, 0x5e, g[1]! & 0x7f, g[2]!, g[3]!, 0x02, 0, 0, 0, 0, 1]);
  const vlanTag =
    o.vlan === undefined || o.vlan === null ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, (o.vlan >> 8) & 0x0f, o.vlan & 0xff]);
  const ethType = Buffer.from([0x08, 0x00]);
  const options = o.ipOptions ?? Buffer.alloc(0);
  const ihl = 20 + options.length;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(o.sourcePort ?? 40000, 0);
  udp.writeUInt16BE(o.port ?? 5001, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(ihl);
  ip[0] = 0x40 | (ihl / 4);
  ip.writeUInt16BE(ihl + 8 + payload.length, 2);
  ip.writeUInt16BE(0x1234, 4);
  const frag = o.fragment ? (o.fragment.moreFragments ? 0x2000 : 0) | (o.fragment.offset & 0x1fff) : 0x4000;
  ip.writeUInt16BE(frag, 6);
  ip[8] = o.ttl ?? 16;
  ip[9] = o.protocol ?? 17;
  Buffer.from(ipBytes(o.source ?? '10.0.0.1')).copy(ip, 12);
  Buffer.from(g).copy(ip, 16);
  options.copy(ip, 20);
  ip.writeUInt16BE(checksum(ip), 10);
  return Buffer.concat([eth, vlanTag, ethType, ip, udp, payload]);
}

/** Offset of the IPv4 header in a frame built by udpFrame. */
export function ipOffset(frame: Buffer): number {
  return frame.readUInt16BE(12) === 0x8100 ? 18 : 14;
}

/** The malformed and unforwardable frames a relay must count and drop, by name. */
export function malformedFrames(o: FrameOptions = {}): Record<string, Buffer> {
  const valid = udpFrame(o);
  const ip = ipOffset(valid);
  const truncatedIp = valid.subarray(0, ip + 12);
  const badIhl = Buffer.from(valid);
  badIhl[ip] = 0x43; // IHL 3: shorter than the fixed header
  const ihlPastFrame = Buffer.from(valid.subarray(0, ip + 24));
  ihlPastFrame[ip] = 0x4f; // IHL 15 = 60 bytes, more than the frame holds
  const udpLengthPastFrame = Buffer.from(valid);
  udpLengthPastFrame.writeUInt16BE(4000, ip + 20 + 4);
  return {
    'truncated-ip': truncatedIp,
    'bad-ihl': badIhl,
    'ihl-past-frame': ihlPastFrame,
    'udp-length-past-frame': udpLengthPastFrame,
    'fragment-first': udpFrame({ ...o, fragment: { moreFragments: true, offset: 0 } }),
    'fragment-later': udpFrame({ ...o, fragment: { moreFragments: false, offset: 100 } }),
    'non-udp': udpFrame({ ...o, protocol: 1 }),
  };
}

const RAW_FRAMES_SCRIPT = fileURLToPath(new URL('../../tools/raw-frames.py', import.meta.url));

/** Writes frames as they are on `ifname` in namespace `ns` (AF_PACKET, through python3). */
export async function injectFrames(ns: string, ifname: string, frames: Buffer[]): Promise<void> {
  await inNetns(ns, 'python3', [RAW_FRAMES_SCRIPT, ifname, ...frames.map((f) => f.toString('hex'))]);
}
