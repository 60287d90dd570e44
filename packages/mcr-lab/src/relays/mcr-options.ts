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
  /** Reflectors ignore their loop cache: discovery's `--inject-bug no-loop-cache`. */
  noLoopCache?: boolean;
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
}
