// What mcr's adapter takes on top of the lab's RelayStartOptions: the relay's own settings, which the
// baselines do not have and ignore.
import type { RelayStartOptions } from '@mcr/netns-lab';
import type { RelayConfigFile } from '@mcr/relay';

/** The pacing fields of mcr's `dataPlane` config section (its README documents them). */
export interface McrDataPlane {
  /** A fixed wait after every partial batch, us (replaces the adaptive wait when > 0). */
  coalesceMicros?: number;
  /** The adaptive wait's budget, us. */
  latencyBudgetMicros?: number;
  /** Which engine forwards: the AF_PACKET workers ('packet', mcr's default) or the tc program ('tc', 'auto'). */
  engine?: 'packet' | 'tc' | 'auto';
}

export interface McrTestOnly {
  /** Turns off the loop guard (own-frame recognition and TTL decrement): `--inject-bug no-loop-guard`. */
  disableLoopGuard?: boolean;
  /** Busy work of about this many ns per frame in every data-plane worker (0..100000): the gate's `--inject-regression`. */
  injectedWorkNanos?: number;
  /** A worker that dies stays dead: chaos's `--inject-bug no-restart`. */
  noWorkerRestart?: boolean;
  /** The state file is never written: chaos's `--inject-bug forget-state`. */
  forgetState?: boolean;
  /**
   * Leaves are ignored (IGMPv2 Leave, MLDv1 Done, IGMPv3/MLDv2 TO_IN and BLOCK records): a group stays
   * until its membership timer runs out. The listeners scenario's `--inject-bug ignore-leaves`.
   */
  ignoreLeaves?: boolean;
  /** Reflectors ignore their loop cache: discovery's `--inject-bug no-loop-cache`. */
  noLoopCache?: boolean;
  /** Empty loop iterations per frame in the tc engine's program: the gate's `--inject-regression` for mcr-tc. */
  tcInjectedCostLoops?: number;
  /** Reflectors join no group on their members: discovery's snooping check with `--inject-bug no-reflector-joins`. */
  noReflectorJoins?: boolean;
}

/** Where an output sends: every packet ("always"), or only while its segment has a listener for the group. */
export type McrForward = 'always' | 'listeners';

/**
 * mcr's `igmp` section beyond `join`: its IGMP/MLD querier and the protocol timers, in seconds (RFC 3376
 * 8, RFC 3810 9; the relay's defaults are the RFCs').
 */
export interface McrIgmpSettings {
  querier?: 'auto' | 'always' | 'never';
  igmpVersion?: 1 | 2 | 3;
  mldVersion?: 1 | 2;
  robustness?: number;
  queryInterval?: number;
  queryResponseInterval?: number;
  lastMemberQueryInterval?: number;
}

export interface McrStartOptions extends RelayStartOptions {
  workers?: number;
  fanoutMode?: 'hash' | 'cpu' | 'lb' | 'off';
  /**
   * The relay's documented test-only switches (its config's `testOnly` section), for the negative
   * controls that prove a check can fail. Never set in a measurement of mcr as users run it.
   */
  testOnly?: McrTestOnly;
  /** Its config's `dataPlane` section (absent: mcr's defaults, as users run it). */
  dataPlane?: McrDataPlane;
  /** Its config's `reflectors` section (discovery reflectors), as the relay's config file writes it. */
  reflectors?: RelayConfigFile['reflectors'];
  /** How many of the streams its config file holds (default all); the caller adds the rest at run time. */
  configStreams?: number;
  /** Every output's `forward` (absent: the relay's default, "always"). */
  forward?: McrForward;
  /** The `igmp` section's querier and timers (absent: the relay's defaults). */
  igmp?: McrIgmpSettings;
}
