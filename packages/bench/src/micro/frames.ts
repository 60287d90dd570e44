// Ethernet + IPv4 + UDP multicast frames for the hot-path micro-benchmark. Pure.

export function groupFor(n: number): string {
  return `239.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function udpFrame(source: string, group: string, port: number, payloadBytes: number): Buffer {
  const g = group.split('.').map(Number);
  const s = source.split('.').map(Number);
  const frame = Buffer.alloc(14 + 20 + 8 + payloadBytes);
  Buffer.from([0x01, 0x00, 0x5e, g[1]! & 0x7f, g[2]!, g[3]!]).copy(frame, 0);
  Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]).copy(frame, 6);
  frame.writeUInt16BE(0x0800, 12);
  const ip = frame.subarray(14, 34);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + payloadBytes, 2);
  ip.writeUInt16BE(0x4000, 6); // DF, no fragment
  ip[8] = 8;
  ip[9] = 17;
  Buffer.from(s).copy(ip, 12);
  Buffer.from(g).copy(ip, 16);
  ip.writeUInt16BE(ipv4Checksum(ip), 10);
  frame.writeUInt16BE(40000, 34);
  frame.writeUInt16BE(port, 36);
  frame.writeUInt16BE(8 + payloadBytes, 38);
  return frame;
}

export interface BenchRule {
  id: string;
  group: string;
  port: number;
  outputs: { interface: string; ifindex: number; group: string; port: number; ttl: number; sourceAddress: string; sourceMac: string }[];
}

/** `count` rules on groups 239.1.x.y, ports 5001+n, one output each (ifindex 0: no socket). */
export function rules(count: number): BenchRule[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `r${n}`,
    group: groupFor(n),
    port: 5001 + (n % 60000),
    outputs: [{ interface: 'bench0', ifindex: 0, group: `239.9.${Math.floor(n / 250)}.${(n % 250) + 1}`, port: 6001 + (n % 59000), ttl: 8, sourceAddress: '10.9.0.1', sourceMac: '02:00:00:00:09:01' }],
  }));
}

/** `frames` frames spread evenly over the first `ruleCount` rules (or over groups no rule has, for misses). */
export function frames(count: number, ruleCount: number, payloadBytes: number, miss = false): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const n = Math.floor((i * ruleCount) / count) % ruleCount;
    return miss ? udpFrame('10.1.0.2', groupFor(60_000 + n), 5001, payloadBytes) : udpFrame('10.1.0.2', groupFor(n), 5001 + (n % 60000), payloadBytes);
  });
}
