// A raw capture in a namespace (fixtures/capture.py): the frames a sink really received, for
// checks no UDP socket makes (veth marks frames CHECKSUM_UNNECESSARY, so a socket accepts a wrong
// UDP checksum), and the Internet checksums recomputed over them; or the IGMP / MLD frames on a link.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { fixture } from './agent.js';
import { fold, sum16 } from './ones-complement.js';

export interface Capture<T = Buffer> {
  /** Resolves with the frames once `count` arrived or the timeout passed. */
  frames: Promise<T[]>;
  stop(): void;
}

export interface CapturedFrame {
  outgoing: boolean; // sent by the capturing namespace itself (pkt_type PACKET_OUTGOING)
  frame: Buffer;
}

/** Runs fixtures/capture.py in `ns` with `args`; resolves once it says it is ready. */
async function spawnCapture(ns: string, args: Array<string | number>): Promise<Capture<CapturedFrame>> {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', fixture('capture.py'), ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const collected: CapturedFrame[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const parsed = JSON.parse(line) as { outgoing: boolean; frame: string };
    collected.push({ outgoing: parsed.outgoing, frame: Buffer.from(parsed.frame, 'hex') });
  });
  const frames = new Promise<CapturedFrame[]>((resolve) => child.once('exit', () => resolve(collected)));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`capture exited (${code}) before it was ready`)));
  });
  return { frames, stop: () => void child.kill('SIGTERM') };
}

/** Starts capturing UDP frames to `port` arriving on `ifname` in `ns`; resolves once the socket is bound. */
export async function startCapture(ns: string, ifname: string, port: number, count: number, timeoutSec = 10): Promise<Capture> {
  const capture = await spawnCapture(ns, [ifname, count, timeoutSec, 'udp', port]);
  return { frames: capture.frames.then((frames) => frames.map((f) => f.frame)), stop: capture.stop };
}

/** Starts capturing the IGMP and MLD frames arriving on `ifname` in `ns`, and with `outgoing` the ones it sends too. */
export function startListenerCapture(ns: string, ifname: string, count: number, timeoutSec: number, outgoing = false): Promise<Capture<CapturedFrame>> {
  return spawnCapture(ns, [ifname, count, timeoutSec, 'igmp-mld', outgoing ? 'both' : 'in']);
}

export interface UdpFacts {
  ttl: number;
  ipChecksumOk: boolean;
  udpChecksum: number; // as carried (0: none)
  udpChecksumOk: boolean; // pseudo-header + UDP header + payload sum to 0xffff (false when 0)
  payload: Buffer;
}

/** Reads an untagged Ethernet/IPv4/UDP frame and recomputes both checksums. */
export function udpFacts(frame: Buffer): UdpFacts {
  const ip = frame.subarray(14);
  const ihl = (ip[0]! & 0x0f) * 4;
  const udpLength = ip.readUInt16BE(ihl + 4);
  const udp = ip.subarray(ihl, ihl + udpLength);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
  const udpChecksum = udp.readUInt16BE(6);
  return {
    ttl: ip[8]!,
    ipChecksumOk: fold(sum16(ip.subarray(0, ihl))) === 0xffff,
    udpChecksum,
    udpChecksumOk: udpChecksum !== 0 && fold(sum16(pseudo) + sum16(udp)) === 0xffff,
    payload: Buffer.from(udp.subarray(8)),
  };
}

/** Writes a correct UDP checksum into a frame built by the lab's udpFrame (which leaves it 0). */
export function withUdpChecksum(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  const ipStart = out.readUInt16BE(12) === 0x8100 ? 18 : 14;
  const ip = out.subarray(ipStart);
  const ihl = (ip[0]! & 0x0f) * 4;
  const udp = ip.subarray(ihl, ihl + ip.readUInt16BE(ihl + 4));
  udp.writeUInt16BE(0, 6);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
  const checksum = ~fold(sum16(pseudo) + sum16(udp)) & 0xffff;
  udp.writeUInt16BE(checksum === 0 ? 0xffff : checksum, 6);
  return out;
}
