// The stream plan shared by beds, scenarios and the bench. Stream n (0-based):
//   ipv4  input  239.1.<floor(n/250)>.<n%250+1>, port 5001+n
//         output 239.9.<floor(n/250)>.<n%250+1>, port 6001+n
//   ipv6  input  ff3e::1:<n+1 in hex>,           port 5001+n
//         output ff3e::9:<n+1 in hex>,           port 6001+n
// IPv6 groups are global scope (ff3e: scope e, in the source-specific ff3x::/32 block that the
// issue's examples use; Linux and the bridge's snooping accept any-source joins there too), with the
// input/output digits 1 and 9 echoing the IPv4 plan. Streams 0..254 fall in ff3e::1:0/120 (and
// ff3e::9:0/120), so a range rule of that size covers them with offset mapping. The text is
// canonical (RFC 5952), as the relay prints it.
// The in-kernel references and the direct wire cannot rewrite: their outputs are the inputs. The socat-shared-port negative
// control puts every input on port 5001 (distinct groups), which is what makes its processes,
// bound to INADDR_ANY:5001, receive each other's groups.
import { relayRewrites, type RelayName, type StreamSpec } from '../relays/types.js';
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
  relay: RelayName;
  /** Default 'ipv4'. */
  family?: AddressFamily;
  socatSharedPort?: boolean;
  /** converge: stream n enters on relay input n % sources. */
  sources?: number;
}

/** StreamSpecs for the relay adapters. Pure. */
export function planStreams(count: number, opts: PlanOptions): StreamSpec[] {
  return Array.from({ length: count }, (_, n) => {
    const family = opts.family ?? 'ipv4';
    const group = inputGroup(n, family);
    const port = opts.socatSharedPort ? 5001 : inputPort(n);
    const rewrite = relayRewrites(opts.relay);
    const spec: StreamSpec = { group, port, outGroup: rewrite ? outputGroup(n, family) : group, outPort: rewrite ? outputPort(n) : port };
    if (opts.sources && opts.sources > 1) spec.input = n % opts.sources;
    return spec;
  });
}
