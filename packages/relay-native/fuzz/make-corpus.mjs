// Regenerates the seed corpus in fuzz/corpus/ (node fuzz/make-corpus.mjs). No dependencies.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

const ip = (s) => Buffer.from(s.split('.').map(Number));
const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

function checksum(h) {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function sum16(b) {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (i + 1 < b.length ? b[i + 1] : 0);
  return sum;
}

// The fuzzer reads input byte 1 (destination MAC byte 1) as ring metadata: bit 0 partial checksum,
// bit 1 a VLAN tag in metadata (bit 2: VLAN 42, else flags >> 3), and byte 3 as clock steps of 1 ms.
function frame({
  source = '10.1.2.3', group = '239.1.1.1', sourcePort = 4000, port = 5001, ttl = 8, tos = 0,
  payload = Buffer.from('hello'), vlan = null, ipOptions = Buffer.alloc(0), flags = 0x4000,
  proto = 17, padding = 0, ethType = 0x0800, udpChecksum = 'none', meta = 0x00, clock = 0x01,
  sourceMac = [0x02, 0, 0, 0, 0, 0x03], badIpChecksum = false,
} = {}) {
  const mac = Buffer.from([0x01, meta, 0x5e, clock, 0x01, 0x01, ...sourceMac]);
  const eth = vlan === null
    ? Buffer.concat([mac, u16(ethType)])
    : Buffer.concat([mac, u16(0x8100), u16(vlan), u16(ethType)]);
  const udp = Buffer.concat([u16(sourcePort), u16(port), u16(8 + payload.length), u16(0), payload]);
  if (udpChecksum !== 'none') {
    const pseudo = Buffer.concat([ip(source), ip(group), u16(17), u16(udp.length)]);
    let sum = sum16(pseudo) + sum16(udp);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const value = (~sum & 0xffff) || 0xffff;
    udp.writeUInt16BE(udpChecksum === 'wrong' ? value ^ 0x0101 : value, 6);
  }
  const ihl = 20 + ipOptions.length;
  const h = Buffer.concat([
    Buffer.from([0x40 | (ihl / 4), tos]), u16(ihl + udp.length), u16(0x1234), u16(flags),
    Buffer.from([ttl, proto, 0, 0]), ip(source), ip(group), ipOptions,
  ]);
  h.writeUInt16BE(checksum(h) ^ (badIpChecksum ? 0x0001 : 0), 10);
  return Buffer.concat([eth, h, udp, Buffer.alloc(padding)]);
}

const seeds = {
  'udp-basic': frame(),
  'udp-empty-payload': frame({ payload: Buffer.alloc(0) }),
  'udp-padded': frame({ payload: Buffer.alloc(2), padding: 16 }),
  'udp-ssm-source': frame({ source: '10.1.2.3', group: '239.1.1.1', port: 5001 }),
  'udp-other-source': frame({ source: '10.7.7.7' }),
  'udp-ssm-only': frame({ source: '192.168.0.1', group: '232.0.0.1', port: 1234 }),
  'udp-wide-rule': frame({ group: '239.255.255.250', port: 1900, payload: Buffer.from('M-SEARCH') }),
  'udp-no-match': frame({ group: '239.9.9.9', port: 9 }),
  'udp-zero-key': frame({ group: '0.0.0.0', port: 0 }),
  'udp-max-key': frame({ group: '255.255.255.255', port: 65535, tos: 0xb8, flags: 0 }),
  'vlan-udp': frame({ vlan: 42 }),
  'vlan-max-id-prio': frame({ vlan: 0xefff }),
  'vlan-qinq': frame({ vlan: 7, ethType: 0x8100 }),
  'ip-options': frame({ ipOptions: Buffer.from([1, 1, 1, 0, 1, 1, 1, 0]) }),
  'ip-options-max': frame({ ipOptions: Buffer.alloc(40, 1), vlan: 3 }),
  'fragment-first': frame({ flags: 0x2000 }),
  'fragment-later': frame({ flags: 0x00b9 }),
  'not-udp-igmp': frame({ proto: 2, payload: Buffer.alloc(0) }),
  'not-ipv4-arp': frame({ ethType: 0x0806 }),
  'udp-checksum-complete': frame({ udpChecksum: 'complete', payload: Buffer.from('odd') }),
  'udp-checksum-wrong': frame({ udpChecksum: 'wrong' }),
  'udp-checksum-partial': frame({ meta: 0x01, payload: Buffer.alloc(33, 0xff) }),
  'udp-checksum-complete-wide': frame({ udpChecksum: 'complete', group: '239.255.255.250', port: 1900 }),
  'bad-ip-checksum': frame({ badIpChecksum: true }),
  'own-mac': frame({ sourceMac: [0x02, 0, 0, 0, 0, 0x02] }),
  'ttl-1': frame({ ttl: 1, udpChecksum: 'complete', source: '10.1.2.3' }),
  'ttl-0-wide': frame({ ttl: 0, group: '239.255.255.250', port: 1900 }),
  'ttl-2-wide': frame({ ttl: 2, group: '239.255.255.250', port: 1900, meta: 0x01 }),
  'meta-vlan-42': frame({ meta: 0x06, udpChecksum: 'complete' }),
  'meta-vlan-7-partial': frame({ meta: 0x3b }),
  'bytes-vlan-42': frame({ vlan: 42 }),
  'bytes-vlan-7': frame({ vlan: 7, ttl: 1 }),
  'rate-limited': frame({ group: '239.5.5.5', port: 5005, clock: 0x00 }),
  'rate-limited-refill': frame({ group: '239.5.5.5', port: 5005, clock: 0xff }),
  'truncated-eth': frame().subarray(0, 13),
  'truncated-vlan': frame({ vlan: 5 }).subarray(0, 17),
  'truncated-ip': frame().subarray(0, 14 + 19),
  'truncated-udp': frame().subarray(0, 14 + 20 + 7),
  'truncated-payload': frame({ payload: Buffer.alloc(64, 0x55) }).subarray(0, 80),
};
// Headers that lie about their lengths.
const badIhl = frame(); badIhl[14] = 0x44; seeds['bad-ihl-small'] = badIhl;
const bigIhl = frame(); bigIhl[14] = 0x4f; seeds['bad-ihl-past-end'] = bigIhl;
const badTotal = frame(); badTotal.writeUInt16BE(0xffff, 16); seeds['bad-total-length'] = badTotal;
const badUdpLen = frame(); badUdpLen.writeUInt16BE(4, 14 + 20 + 4); seeds['bad-udp-length-small'] = badUdpLen;
const longUdpLen = frame(); longUdpLen.writeUInt16BE(200, 14 + 20 + 4); seeds['bad-udp-length-past-ip'] = longUdpLen;
const v6 = frame(); v6[14] = 0x65; seeds['bad-version'] = v6;

// IPv6: 16-byte addresses from text with '::' (no dotted tail needed here).
function ip6(text) {
  const [head, tail = ''] = text.split('::');
  const groups = (part) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = text.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return Buffer.concat(all.map(u16));
}

// ext: [{ type, length }] extension headers before UDP (Fragment always 8 bytes).
function frame6({
  source = 'fd00:0:0:1::1', group = 'ff3e::1:2', sourcePort = 4000, port = 5001, hops = 8, tc = 0,
  payload = Buffer.from('hello6'), vlan = null, ext = [], udpChecksum = 'complete', meta = 0x00, clock = 0x01,
  padding = 0,
} = {}) {
  const mac = Buffer.from([0x33, meta, 0x00, clock, 0x01, 0x02, 0x02, 0, 0, 0, 0, 0x03]);
  const eth = vlan === null ? Buffer.concat([mac, u16(0x86dd)]) : Buffer.concat([mac, u16(0x8100), u16(vlan), u16(0x86dd)]);
  const udp = Buffer.concat([u16(sourcePort), u16(port), u16(8 + payload.length), u16(0), payload]);
  if (udpChecksum !== 'zero') {
    const pseudo = Buffer.concat([ip6(source), ip6(group), u16(0), u16(udp.length), u16(0), u16(17)]);
    let sum = sum16(pseudo) + sum16(udp);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const value = (~sum & 0xffff) || 0xffff;
    udp.writeUInt16BE(udpChecksum === 'wrong' ? value ^ 0x0101 : value, 6);
  }
  const chain = ext.map((h, i) => {
    const length = h.type === 44 ? 8 : (h.length ?? 8);
    const b = Buffer.alloc(length);
    b[0] = i + 1 < ext.length ? ext[i + 1].type : 17;
    if (h.type !== 44) b[1] = length / 8 - 1;
    return b;
  });
  const body = Buffer.concat([...chain, udp]);
  const h = Buffer.concat([
    Buffer.from([0x60 | (tc >> 4), (tc & 0x0f) << 4, 0, 0]), u16(body.length),
    Buffer.from([ext.length > 0 ? ext[0].type : 17, hops]), ip6(source), ip6(group),
  ]);
  return Buffer.concat([eth, h, body, Buffer.alloc(padding)]);
}

Object.assign(seeds, {
  'v6-udp': frame6(),
  'v6-udp-partial': frame6({ meta: 0x01, udpChecksum: 'zero', payload: Buffer.alloc(31, 0xfe) }),
  'v6-udp-wrong-checksum': frame6({ udpChecksum: 'wrong', tc: 0xb8 }),
  'v6-udp-zero-checksum': frame6({ udpChecksum: 'zero' }),
  'v6-ssm': frame6({ source: 'fd00:0:0:1::1' }),
  'v6-other-source': frame6({ source: 'fd00::7' }),
  'v6-vlan-42': frame6({ vlan: 42 }),
  'v6-meta-vlan-42': frame6({ meta: 0x06 }),
  'v6-hop-limit-1': frame6({ hops: 1 }),
  'v6-range-112': frame6({ group: 'ff3e::1:77' }),
  'v6-range-64': frame6({ group: 'ff3e::5:5:5' }),
  'v6-range-16': frame6({ group: 'ff3e:1::9', meta: 0x01 }),
  'v6-no-match': frame6({ group: 'ff05::1', port: 9 }),
  'v6-hbh-dest': frame6({ ext: [{ type: 0, length: 16 }, { type: 60 }] }),
  'v6-dest-dest-dest': frame6({ ext: [{ type: 60 }, { type: 60 }, { type: 60 }] }),
  'v6-too-many-options': frame6({ ext: [{ type: 0 }, { type: 60 }, { type: 60 }, { type: 60 }] }),
  'v6-late-hbh': frame6({ ext: [{ type: 60 }, { type: 0 }] }),
  'v6-fragment': frame6({ ext: [{ type: 44 }] }),
  'v6-routing': frame6({ ext: [{ type: 43 }] }),
  'v6-ah-esp': frame6({ ext: [{ type: 51 }, { type: 50 }] }),
  'v6-padded': frame6({ payload: Buffer.alloc(3), padding: 20 }),
  'v6-truncated': frame6().subarray(0, 14 + 39),
  'v4-range16-mapped': frame({ group: '239.1.200.3', udpChecksum: 'complete' }),
  'v4-range16-ssm': frame({ group: '239.1.0.9', source: '10.7.7.7' }),
  'v4-range8': frame({ group: '239.77.0.1', meta: 0x01 }),
  // Gated outputs (listener gates): the fixture's gates name these destinations and sources.
  'gate-wild-admitted': frame({ source: '10.0.0.1' }),
  'gate-range16-exclude': frame({ group: '239.1.1.2', source: '10.7.7.7', udpChecksum: 'complete' }),
  'gate-range16-any-source': frame({ group: '239.1.0.9', source: '10.9.9.9' }),
  'v6-gate-range-112': frame6({ group: 'ff3e::1:5', source: 'fd00::7' }),
  'v6-gate-wild6': frame6({ source: 'fd00::7', meta: 0x01 }),
});
// Encoded listener gates (the input read as ListenerGates::Decode takes it; byte 2 odd: IPv6):
// 239.9.0.9 include [10.7.7.7, 10.1.2.3], then 239.9.0.8 exclude [].
seeds['gates-encoded-v4'] = Buffer.concat([ip('239.9.0.9'), Buffer.from([1]), u16(2), ip('10.7.7.7'), ip('10.1.2.3'), ip('239.9.0.8'), Buffer.from([0]), u16(0)]);
const v6Icmp = frame6(); v6Icmp[14 + 6] = 58; seeds['v6-not-udp-icmp'] = v6Icmp;
const v6Jumbo = frame6(); v6Jumbo.writeUInt16BE(0, 14 + 4); seeds['v6-jumbo'] = v6Jumbo;
const v6Long = frame6(); v6Long.writeUInt16BE(0x0400, 14 + 4); seeds['v6-payload-length-past-end'] = v6Long;
const v6Option = frame6({ ext: [{ type: 0 }] }); v6Option[14 + 41] = 0x20; seeds['v6-option-past-end'] = v6Option;

mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) rmSync(join(dir, f));
for (const [name, bytes] of Object.entries(seeds)) writeFileSync(join(dir, name), bytes);
console.log(`${Object.keys(seeds).length} seeds in ${dir}`);
