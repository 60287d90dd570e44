// The lab's stream plan (@mcr/netns-lab's planStreams) for a relay by name: a relay that cannot
// rewrite group and port (relayRewrites) gets its inputs as outputs.
import { planStreams, type AddressFamily, type StreamSpec } from '@mcr/netns-lab';
import { relayRewrites, type RelayName } from '../relays/registry.js';

export interface RelayPlanOptions {
  relay: RelayName;
  /** Default 'ipv4'. */
  family?: AddressFamily;
  /** The socat-shared-port negative control: every input on port 5001. */
  socatSharedPort?: boolean;
  /** converge: stream n enters on relay input n % sources. */
  sources?: number;
}

/** StreamSpecs for `opts.relay`. Pure. */
export function planRelayStreams(count: number, opts: RelayPlanOptions): StreamSpec[] {
  return planStreams(count, {
    rewrite: relayRewrites(opts.relay),
    ...(opts.family !== undefined ? { family: opts.family } : {}),
    ...(opts.socatSharedPort !== undefined ? { sharedPort: opts.socatSharedPort } : {}),
    ...(opts.sources !== undefined ? { sources: opts.sources } : {}),
  });
}
