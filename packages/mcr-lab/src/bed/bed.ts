// A test bed: one realised topology with one relay under test running in it, kept up across
// trials (docs/architecture.md, "mcr-lab: test beds and trials"), and the registry of open beds that
// the CLI closes on a signal. The options are bed-options.ts's; a trial is trial.ts's.
import { awaitSnooping, build, RelayUnavailableError, uniquePrefix, up, type Lab, type RelayUnderTest, type StreamSpec } from '@mcr/netns-lab';
import { createRelay, McrRelay, resolveRelay, type ConcreteRelayName, type McrStartOptions } from '../relays/index.js';
import { normaliseBedOptions, type BedOptions } from './bed-options.js';
import { McrControl } from './mcr-control.js';
import { planRelayStreams } from './streams.js';
import { runTrial, type TrialOptions, type TrialResult } from './trial.js';

export type { RelayName } from '../relays/index.js';

export interface Bed {
  /** The options as opened: `relay` names the relay that runs (never the `kernel` request). */
  options: BedOptions & { relay: ConcreteRelayName };
  lab: Lab;
  /** The relay adapter running in the lab. */
  relay: RelayUnderTest<McrStartOptions>;
  /** The streams the relay was started with (stream n = index n). */
  streams: StreamSpec[];
  /** mcr only: its control socket through the CLI (stats, add, remove, list). */
  mcr?: McrControl;
  trial(t: TrialOptions): Promise<TrialResult>;
  close(): Promise<void>;
}

/** Beds not yet closed: the CLI closes them on SIGINT/SIGTERM. */
const openBeds = new Set<Bed>();

/** Prefixes of every bed opened in this process, in order (tests check that none left namespaces). */
const history: string[] = [];
export function bedPrefixes(): readonly string[] {
  return history;
}

/** Beds opened and not yet closed. */
export function liveBeds(): Bed[] {
  return [...openBeds];
}

/** Teardowns of beds still opening (lab up, relay starting or snooping warm-up). */
const opening = new Set<() => Promise<void>>();

/**
 * Registers the teardown of a lab opened outside a bed (the listeners scenarios), so that the CLI's
 * SIGINT/SIGTERM handling removes it too; returns the function that unregisters it.
 */
export function onInterrupt(teardown: () => Promise<void>): () => void {
  opening.add(teardown);
  return () => void opening.delete(teardown);
}

/** Closes every open bed and tears down beds still opening (the CLI calls it on SIGINT/SIGTERM). */
export async function closeAllBeds(): Promise<void> {
  await Promise.allSettled([...[...openBeds].map((b) => b.close()), ...[...opening].map((f) => f())]);
}

/**
 * Opens a bed: the topology up, the relay started in it. Throws RelayUnavailableError, before anything
 * is created, when the relay cannot run on this machine (the doctor's probes say why).
 */
export async function openBed(options: BedOptions): Promise<Bed> {
  const o = normaliseBedOptions(options);
  const resolved = await resolveRelay(o.relay, o.family!, o.mcrBin !== undefined ? { mcrBin: o.mcrBin } : {});
  if (resolved.unavailable !== undefined) throw new RelayUnavailableError(resolved.relay, resolved.unavailable);
  const prefix = o.prefix ?? uniquePrefix();
  const topo = build(o.topology!, {
    prefix,
    ...(o.outputs !== undefined ? { outputs: o.outputs } : {}),
    ...(o.sources !== undefined ? { sources: o.sources } : {}),
  });
  const streams = planRelayStreams(o.streams, { relay: resolved.relay, family: o.family!, socatSharedPort: o.socatSharedPort ?? false, sources: o.sources ?? 1 });
  const lab = await up(topo); // tears down what it created if it fails
  history.push(prefix);
  const relay = createRelay(resolved.relay, {
    ...(o.mcrBin !== undefined ? { mcrBin: o.mcrBin } : {}),
    ...(o.mcrStateFile !== undefined ? { mcrStateFile: o.mcrStateFile } : {}),
    ...(o.socatSharedPort !== undefined ? { socatSharedPort: o.socatSharedPort } : {}),
  });
  let torn: Promise<void> | undefined;
  const teardown = () => (torn ??= relay.stop().catch(() => {}).finally(() => lab.down()));
  opening.add(teardown);
  try {
    if (topo.kind === 'switch') {
      o.onProgress?.(`${prefix}: waiting for the bridge's ${o.family === 'ipv6' ? 'MLD' : 'IGMP'} snooping (about 10 s)`);
      const ms = await awaitSnooping(lab, { family: o.family!, timeoutMs: o.snoopingTimeoutMs ?? 30_000 });
      o.onProgress?.(`${prefix}: snooping ready after ${ms} ms`);
    }
    await relay.start(lab, streams, {
      family: o.family!,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.fanoutMode !== undefined ? { fanoutMode: o.fanoutMode } : {}),
      ...(o.igmpJoin !== undefined ? { igmpJoin: o.igmpJoin } : {}),
      ...(o.mcrTestOnly !== undefined ? { testOnly: o.mcrTestOnly } : {}),
      ...(o.mcrDataPlane !== undefined ? { dataPlane: o.mcrDataPlane } : {}),
      ...(o.mcrConfigStreams !== undefined ? { configStreams: o.mcrConfigStreams } : {}),
    });
  } catch (err) {
    await teardown();
    throw err;
  } finally {
    opening.delete(teardown);
  }
  if (torn) {
    // Torn down by closeAllBeds while opening: the caller gets an error, not a dead bed.
    await torn;
    throw new Error(`bed ${prefix}: closed while opening`);
  }
  let closing: Promise<void> | undefined;
  let busy = false;
  const bed: Bed = {
    options: { ...o, relay: resolved.relay, prefix },
    lab,
    relay,
    streams,
    ...(relay instanceof McrRelay ? { mcr: new McrControl(relay, topo.relay.ns) } : {}),
    async trial(t) {
      if (busy) throw new Error(`bed ${prefix}: a trial is already running (trials on one bed run one at a time)`);
      if (closing) throw new Error(`bed ${prefix}: closed`);
      busy = true;
      try {
        return await runTrial(bed, t);
      } finally {
        busy = false;
      }
    },
    close() {
      closing ??= (async () => {
        openBeds.delete(bed);
        try {
          await relay.stop();
        } finally {
          await lab.down();
        }
      })();
      return closing;
    },
  };
  openBeds.add(bed);
  return bed;
}
