// socat baseline: one process per (stream, output), each bound to its group (so it receives only
// that group), joined on the input interface, sending to the output group with the output
// interface's address as IP_MULTICAST_IF. The command line, checked on this machine (socat 1.7.4):
//
//   socat -b 65536 -u \
//     UDP4-RECV:5001,bind=239.1.1.1,ip-add-membership=239.1.1.1:in0,reuseaddr,setsockopt-listen=1:33:x00008000 \
//     UDP4-SENDTO:239.9.9.1:6001,ip-multicast-if=10.2.0.1,ip-multicast-ttl=8,setsockopt-int=1:32:8388608
//
// `-b 65536`: socat's default 8192-byte block would truncate jumbo payloads. `reuseaddr` lets
// several processes (fanout: one per output) bind the same group:port; each gets a copy.
//
// Configured as its own experts would (house style 13):
// - Quiet: no `-d`. At `-d -d` this socat logs two lines for every datagram ("received packet with
//   N bytes from ...", "local address: ..."): formatting and writing them cost it about a third more CPU
//   per packet, and the lab would have to drain them on the same cores. Readiness is read from /proc
//   instead: the process's own UDP socket bound to the stream's port, and the group joined on the input.
// - The same buffer room as mcr: SO_RCVBUFFORCE and SO_SNDBUFFORCE (SOL_SOCKET 1, options 33 and 32)
//   of SOCAT_BUFFER_BYTES, the size of mcr's receive ring per input, as mcr sets its own (its
//   rcvbuf= and sndbuf= would be capped by the machine's net.core.rmem_max / wmem_max). This socat
//   applies generic socket options of a RECV address only as setsockopt-listen (binary data: the int
//   in the machine's byte order, x00008000 for 8 MiB here; setsockopt-int there is refused with
//   "option(s) could not be used"); on the SENDTO address setsockopt-int works.
//   `socat-default` leaves the kernel's defaults (net.core.rmem_default, about 208 KiB): what an
//   untuned socat does.
//
// IPv6, the same shape:
//
//   socat -b 65536 -u \
//     UDP6-RECV:5001,bind=[ff3e::1:1],ipv6-join-group=[ff3e::1:1]:in0,reuseaddr,setsockopt-listen=1:33:x00008000 \
//     UDP6-SENDTO:[ff3e::9:1]:6001,so-bindtodevice=out0,setsockopt-int=41:18:8,setsockopt-int=1:32:8388608
//
// This socat has no ipv6-multicast-if or ipv6-multicast-hops option (its man page lists only
// ipv6-unicast-hops, which multicast ignores), so the egress interface is SO_BINDTODEVICE and the
// hop limit is IPV6_MULTICAST_HOPS through setsockopt-int=LEVEL:OPTNAME:VALUE.
//
// Variant `sharedPort` (negative control `socat-shared-port`): no `bind=GROUP`, so every process is
// bound to INADDR_ANY:port ([::]:port) with IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) on, the default:
// with streams on one port each process receives every group joined in the namespace, and the sinks
// see duplicates.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { parseProcNetIgmp, parseProcNetIgmp6 } from '../netns/index.js';
import type { Lab } from '../topology/index.js';
import { assertRelayAvailable } from './availability.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, waitUntil, type Child } from './common.js';
import { CpuMeter } from './cpu.js';
import { LAB_TTL, relayTitle, type RelayStartOptions, type RelayUnderTest, type ResolvedStream, type StreamSpec } from './types.js';

/**
 * socat's receive and send buffer, bytes: 8 MiB, the size of mcr's receive ring per input (one worker,
 * one ring per input), so the baseline gets the room the relay it is compared with gets. The lab
 * imports no relay code: @mcr/mcr-lab's unit test holds this equal to mcr's DEFAULTS.receiveBufferBytes.
 */
export const SOCAT_BUFFER_BYTES = 8 * 1024 * 1024;

export interface SocatRelayOptions {
  /** The negative control: every process bound to INADDR_ANY:port. */
  sharedPort?: boolean;
  /** false: the kernel's default buffers (`socat-default`); default true (SOCAT_BUFFER_BYTES). */
  tuned?: boolean;
}

/** Linux values for socat's generic setsockopt-int (asm-generic/socket.h, linux/in6.h). */
const SOL_SOCKET = 1;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const IPPROTO_IPV6 = 41;
const IPV6_MULTICAST_HOPS = 18;

export interface SocatArgsOptions {
  ttl: number;
  /** The negative control (no bind=GROUP); default false. */
  sharedPort?: boolean;
  /** false leaves the input group unjoined (negative control: behind a snooping bridge nothing arrives). */
  join?: boolean;
  /** Receive and send buffer, bytes; null: the kernel's defaults. */
  bufferBytes: number | null;
}

/** A C int as socat's binary option data (`x` and its bytes in hex), in this machine's byte order. */
export function socatIntData(value: number): string {
  const b = Buffer.alloc(4);
  if (endianness() === 'LE') b.writeInt32LE(value);
  else b.writeInt32BE(value);
  return `x${b.toString('hex')}`;
}

/** The socat options of the stream's input (receive) and output (send) address. */
function socatAddresses(s: ResolvedStream, out: { ifname: string; ip: string }, o: SocatArgsOptions): [string[], string[]] {
  const join = o.join ?? true;
  const rcvbuf = o.bufferBytes === null ? [] : [`setsockopt-listen=${SOL_SOCKET}:${SO_RCVBUFFORCE}:${socatIntData(o.bufferBytes)}`];
  const sndbuf = o.bufferBytes === null ? [] : [`setsockopt-int=${SOL_SOCKET}:${SO_SNDBUFFORCE}:${o.bufferBytes}`];
  if (s.family === 'ipv6') {
    return [
      [`UDP6-RECV:${s.port}`, ...(o.sharedPort ? [] : [`bind=[${s.group}]`]), ...(join ? [`ipv6-join-group=[${s.group}]:${s.inIfname}`] : []), 'reuseaddr', ...rcvbuf],
      [`UDP6-SENDTO:[${s.outGroup}]:${s.outPort}`, `so-bindtodevice=${out.ifname}`, `setsockopt-int=${IPPROTO_IPV6}:${IPV6_MULTICAST_HOPS}:${o.ttl}`, ...sndbuf],
    ];
  }
  return [
    [`UDP4-RECV:${s.port}`, ...(o.sharedPort ? [] : [`bind=${s.group}`]), ...(join ? [`ip-add-membership=${s.group}:${s.inIfname}`] : []), 'reuseaddr', ...rcvbuf],
    [`UDP4-SENDTO:${s.outGroup}:${s.outPort}`, `ip-multicast-if=${out.ip}`, `ip-multicast-ttl=${o.ttl}`, ...sndbuf],
  ];
}

/** The socat argument vector for one stream and one output. */
export function socatArgs(s: ResolvedStream, out: { ifname: string; ip: string }, o: SocatArgsOptions): string[] {
  const [recv, send] = socatAddresses(s, out, o);
  return ['-b', '65536', '-u', recv.join(','), send.join(',')];
}

/** Local ports of `pid`'s own UDP sockets (its fds' socket inodes matched in its namespace's /proc/net/udp). */
async function boundUdpPorts(pid: number, family: 'ipv4' | 'ipv6'): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (m) inodes.add(m[1]!);
  }
  const table = await readFile(`/proc/${pid}/net/${family === 'ipv6' ? 'udp6' : 'udp'}`, 'utf8').catch(() => '');
  return table
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 9 && inodes.has(f[9]!))
    .map((f) => parseInt(f[1]!.split(':')[1]!, 16));
}

/** Whether `pid` holds its receive socket on the stream's port and, when it joins, the group on the input. */
async function socatReady(pid: number, s: ResolvedStream, join: boolean): Promise<boolean> {
  if (!(await boundUdpPorts(pid, s.family)).includes(s.port)) return false;
  if (!join) return true;
  const file = `/proc/${pid}/net/${s.family === 'ipv6' ? 'igmp6' : 'igmp'}`;
  const text = await readFile(file, 'utf8').catch(() => '');
  const joined = (s.family === 'ipv6' ? parseProcNetIgmp6(text) : parseProcNetIgmp(text)).get(s.inIfname) ?? [];
  return joined.includes(s.group);
}

export class SocatRelay implements RelayUnderTest {
  readonly name: 'socat' | 'socat-default';
  readonly label: string;
  private children: Child[] = [];
  private readonly meter = new CpuMeter(() => this.children.map((c) => c.pid).filter((p): p is number => p !== undefined));

  constructor(private readonly options: SocatRelayOptions = {}) {
    this.name = options.tuned === false ? 'socat-default' : 'socat';
    this.label = options.sharedPort ? 'socat-shared-port' : relayTitle(this.name);
  }

  /** The buffers this variant runs with (null: the kernel's defaults). */
  get bufferBytes(): number | null {
    return this.name === 'socat' ? SOCAT_BUFFER_BYTES : null;
  }

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.children.length) throw new Error(`${this.label}: already started`);
    const role = relayRole(lab, opts);
    const resolved = resolveStreams(role, streams, opts.family);
    await assertRelayAvailable(this.name, resolved[0]!.family);
    const args: SocatArgsOptions = { ttl: opts.ttl ?? LAB_TTL, sharedPort: this.options.sharedPort ?? false, join: opts.igmpJoin ?? true, bufferBytes: this.bufferBytes };
    try {
      for (const s of resolved) {
        for (const out of s.outs) {
          const child = spawnInNetns(role.ns, 'socat', socatArgs(s, out, args));
          this.children.push(child);
          await waitUntil(child, () => socatReady(child.pid!, s, args.join!), `socat ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort}`);
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const children = this.children;
    await Promise.all(children.map((c) => stopChild(c)));
    this.children = [];
  }

  cpuSeconds(): Promise<number> {
    return this.meter.seconds();
  }
}
