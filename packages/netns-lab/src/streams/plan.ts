// The lab's stream plan, shared by beds, scenarios, the bench and the relay's own tests. Stream n (0-based):
//   ipv4  input  239.1.<floor(n/250)>.<n%250+1>, port 5001+n
//         output 239.9.<floor(n/250)>.<n%250+1>, port 6001+n
//   ipv6  input  ff3e::1:<n+1 in hex>,           port 5001+n
//         output ff3e::9:<n+1 in hex>,           port 6001+n
// IPv6 groups are global scope (ff3e: scope e, in the source-specific ff3x::/32 block of RFC
// 4607; Linux and the bridge's snooping accept any-source joins there too), with the
// input/output digits 1 and 9 echoing the IPv4 plan. Streams 0..254 fall in ff3e::1:0/120 (and
// ff3e::9:0/120), so a range rule of that size covers them with offset mapping. The text is
// canonical (RFC 5952), as the relay prints it.
// A relay that cannot rewrite (the in-kernel references, the direct wire) gets its inputs as outputs.
// `sharedPort` puts every input on port 5001 (distinct groups): the socat-shared-port negative
// control, whose processes, bound to INADDR_ANY:5001, then receive each other's groups.
import type { StreamSpec } from '../relays/types.js';
import type { AddressFamily } from '../topology/index.js';

/** Most streams a bed accepts: 1000 groups (250 per /24), ports 5001..6000 and 6001..7000. */
export const MAX_STREAMS = 1000;

export const inputGroup = (n: number, family: AddressFamily = 'ipv4'): string =>
  family === 'ipv6' ? `ff3e::1:${(n + 1).toString(16)}` : `239.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
export const outputGroup = (n: number, family: AddressFamily = 'ipv4'): string =>
  family === 'ipv6' ? `ff3e::9:${(n + 1).toString(16)}` : `239.9.${Math.floor(n / 250)}.${(n % 250) + 1}`;
export const inputPort = (n: number): number => 5001 + n;
export const outputPort = (n: number): number => 6001 + n;

export interface PlanOptions {
  /** Whether the relay sends each stream to its output group and port (default true); false: outputs = inputs. */
  rewrite?: boolean;
  /** Default 'ipv4'. */
  family?: AddressFamily;
  /** Every input on port 5001. */
  sharedPort?: boolean;
  /** converge: stream n enters on relay input n % sources. */
  sources?: number;
}

/** StreamSpecs for the relay adapters. Pure. */
export function planStreams(count: number, opts: PlanOptions = {}): StreamSpec[] {
  const family = opts.family ?? 'ipv4';
  const rewrite = opts.rewrite ?? true;
  return Array.from({ length: count }, (_, n) => {
    const group = inputGroup(n, family);
    const port = opts.sharedPort ? 5001 : inputPort(n);
    const spec: StreamSpec = { group, port, outGroup: rewrite ? outputGroup(n, family) : group, outPort: rewrite ? outputPort(n) : port };
    if (opts.sources && opts.sources > 1) spec.input = n % opts.sources;
    return spec;
  });
}
