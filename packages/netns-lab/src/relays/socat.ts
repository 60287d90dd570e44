// socat baseline: one process per (stream, output), each bound to its group (so it receives only
// that group), joined on the input interface, sending to the output group with the output
// interface's address as IP_MULTICAST_IF. The command line, checked on this machine:
//
//   socat -d -d -b 65536 -u \
//     UDP4-RECV:5001,bind=239.1.1.1,ip-add-membership=239.1.1.1:in0,reuseaddr \
//     UDP4-SENDTO:239.9.9.1:6001,ip-multicast-if=10.2.0.1,ip-multicast-ttl=8
//
// `-b 65536`: socat's default 8192-byte block would truncate jumbo payloads. `reuseaddr` lets
// several processes (fanout: one per output) bind the same group:port; each gets a copy.
// `-d -d` prints "starting data transfer loop" once both addresses are open: the readiness marker.
//
// IPv6, the same shape (socat 1.7.4; checked on this machine):
//
//   socat -d -d -b 65536 -u \
//     UDP6-RECV:5001,bind=[ff3e::1:1],ipv6-join-group=[ff3e::1:1]:in0,reuseaddr \
//     UDP6-SENDTO:[ff3e::9:1]:6001,so-bindtodevice=out0,setsockopt-int=41:18:8
//
// This socat has no ipv6-multicast-if or ipv6-multicast-hops option (its man page lists only
// ipv6-unicast-hops, which multicast ignores), so the egress interface is SO_BINDTODEVICE and the
// hop limit is IPV6_MULTICAST_HOPS through the generic setsockopt-int=LEVEL:OPTNAME:VALUE.
//
// Variant `sharedPort` (negative control `socat-shared-port`): no `bind=GROUP`, so every process is
// bound to INADDR_ANY:port ([::]:port) with IP_MULTICAST_ALL (IPV6_MULTICAST_ALL) on, the default:
// with streams on one port each process receives every group joined in the namespace, and the sinks
// see duplicates.
import type { Lab } from '../topology/index.js';
import { relayRole, resolveStreams, spawnInNetns, stopChild, waitForOutput, type Child } from './common.js';
import { CpuMeter } from './cpu.js';
import type { RelayStartOptions, RelayUnderTest, ResolvedStream, StreamSpec } from './types.js';

export interface SocatRelayOptions {
  sharedPort?: boolean;
}

/** Linux values for socat's generic setsockopt-int (linux/in6.h): IPPROTO_IPV6, IPV6_MULTICAST_HOPS. */
const IPPROTO_IPV6 = 41;
const IPV6_MULTICAST_HOPS = 18;

/**
 * The socat options for the stream's `join` (input) and output side. `join: false` leaves the input
 * group unjoined (negative control: behind a snooping bridge nothing then arrives).
 */
function socatAddresses(s: ResolvedStream, out: { ifname: string; ip: string }, ttl: number, sharedPort: boolean, join: boolean): [string[], string[]] {
  if (s.family === 'ipv6') {
    return [
      [`UDP6-RECV:${s.port}`, ...(sharedPort ? [] : [`bind=[${s.group}]`]), ...(join ? [`ipv6-join-group=[${s.group}]:${s.inIfname}`] : []), 'reuseaddr'],
      [`UDP6-SENDTO:[${s.outGroup}]:${s.outPort}`, `so-bindtodevice=${out.ifname}`, `setsockopt-int=${IPPROTO_IPV6}:${IPV6_MULTICAST_HOPS}:${ttl}`],
    ];
  }
  return [
    [`UDP4-RECV:${s.port}`, ...(sharedPort ? [] : [`bind=${s.group}`]), ...(join ? [`ip-add-membership=${s.group}:${s.inIfname}`] : []), 'reuseaddr'],
    [`UDP4-SENDTO:${s.outGroup}:${s.outPort}`, `ip-multicast-if=${out.ip}`, `ip-multicast-ttl=${ttl}`],
  ];
}

/** The socat argument vector for one stream and one output. */
export function socatArgs(s: ResolvedStream, out: { ifname: string; ip: string }, ttl: number, sharedPort = false, join = true): string[] {
  const [recv, send] = socatAddresses(s, out, ttl, sharedPort, join);
  return ['-d', '-d', '-b', '65536', '-u', recv.join(','), send.join(',')];
}

export class SocatRelay implements RelayUnderTest {
  readonly name = 'socat' as const;
  readonly label: string;
  private children: Child[] = [];
  private readonly meter = new CpuMeter(() => this.children.map((c) => c.pid).filter((p): p is number => p !== undefined));

  constructor(private readonly options: SocatRelayOptions = {}) {
    this.label = options.sharedPort ? 'socat-shared-port' : 'socat';
  }

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.children.length) throw new Error(`${this.label}: already started`);
    const role = relayRole(lab, opts);
    const ttl = opts.ttl ?? 8;
    try {
      for (const s of resolveStreams(role, streams, opts.family)) {
        for (const out of s.outs) {
          const child = spawnInNetns(role.ns, 'socat', socatArgs(s, out, ttl, this.options.sharedPort, opts.igmpJoin ?? true));
          this.children.push(child);
          await waitForOutput(child, 'starting data transfer loop', `socat ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort}`);
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
