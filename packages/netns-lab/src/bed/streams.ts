// The stream plan shared by beds, scenarios and the bench. Stream n (0-based):
//   input  239.1.<floor(n/250)>.<n%250+1>, port 5001+n
//   output 239.9.<floor(n/250)>.<n%250+1>, port 6001+n
// The kernel relay cannot rewrite: its outputs are the inputs. The socat-shared-port negative
// control puts every input on port 5001 (distinct groups), which is what makes its processes,
// bound to INADDR_ANY:5001, receive each other's groups.
import type { RelayName, StreamSpec } from '../relays/index.js';

/** Most streams a bed accepts: 1000 groups (250 per /24), ports 5001..6000 and 6001..7000. */
export const MAX_STREAMS = 1000;

export const inputGroup = (n: number): string => `239.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
export const outputGroup = (n: number): string => `239.9.${Math.floor(n / 250)}.${(n % 250) + 1}`;
export const inputPort = (n: number): number => 5001 + n;
export const outputPort = (n: number): number => 6001 + n;

export interface PlanOptions {
  relay: RelayName;
  socatSharedPort?: boolean;
  /** converge: stream n enters on relay input n % sources. */
  sources?: number;
}

/** StreamSpecs for the relay adapters. Pure. */
export function planStreams(count: number, opts: PlanOptions): StreamSpec[] {
  return Array.from({ length: count }, (_, n) => {
    const group = inputGroup(n);
    const port = opts.socatSharedPort ? 5001 : inputPort(n);
    const rewrite = opts.relay !== 'kernel';
    const spec: StreamSpec = { group, port, outGroup: rewrite ? outputGroup(n) : group, outPort: rewrite ? outputPort(n) : port };
    if (opts.sources && opts.sources > 1) spec.input = n % opts.sources;
    return spec;
  });
}
