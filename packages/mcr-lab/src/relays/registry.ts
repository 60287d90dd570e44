// The relays mcr-lab puts under test: mcr, plugged into the lab, and the lab's baselines, stated once.
// Options, beds, scenarios, the doctor and the bench name relays from RELAY_NAMES.
import {
  assertRelayAvailable as labAssertRelayAvailable,
  BASELINE_NAMES,
  BASELINE_TITLES,
  baselineRewrites,
  createBaseline,
  resolveRelay as labResolveRelay,
  type AddressFamily,
  type RelayUnderTest,
  type ResolvedRelay,
} from '@mcr/netns-lab';
import { McrRelay } from './mcr.js';
import type { McrStartOptions } from './mcr-options.js';
import { isMcrRelay, MCR_RELAYS, mcrPlugins } from './mcr-plugin.js';

/** mcr (the relay under development, on each engine: MCR_RELAYS) first, then the lab's baselines (BASELINE_NAMES says what each is). */
export const RELAY_NAMES = [...MCR_RELAYS, ...BASELINE_NAMES] as const;
export type RelayName = (typeof RELAY_NAMES)[number];
/** A relay that runs: every name but the `kernel` request. */
export type ConcreteRelayName = Exclude<RelayName, 'kernel'>;

export const CONCRETE_RELAYS: readonly ConcreteRelayName[] = RELAY_NAMES.filter((r): r is ConcreteRelayName => r !== 'kernel');

/** How tables and results files name each relay. */
export const RELAY_TITLES: Readonly<Record<RelayName, string>> = { mcr: 'mcr', 'mcr-tc': 'mcr-tc', ...BASELINE_TITLES };

/** A relay's title for tables (`kernel (tc)`); an unknown name as it is. */
export const relayTitle = (name: string): string => RELAY_TITLES[name as RelayName] ?? name;

/** Whether the relay can send a stream to another group and port (mcr and socat can; the in-kernel references and direct cannot). */
export const relayRewrites = (name: RelayName): boolean => isMcrRelay(name) || baselineRewrites(name);

export interface CreateRelayOptions {
  /** mcr: the CLI to run (bin/mcr.js of some build). */
  mcrBin?: string;
  /** mcr: `--state FILE`. */
  mcrStateFile?: string;
  /** socat: the negative control (every process bound to INADDR_ANY:port). */
  socatSharedPort?: boolean;
}

/** A fresh adapter for a relay that runs (resolve `kernel` first: resolveRelay). */
export function createRelay(name: ConcreteRelayName, opts: CreateRelayOptions = {}): RelayUnderTest<McrStartOptions> {
  if (isMcrRelay(name)) {
    return new McrRelay({ name, ...(opts.mcrBin !== undefined ? { bin: opts.mcrBin } : {}), ...(opts.mcrStateFile !== undefined ? { stateFile: opts.mcrStateFile } : {}) });
  }
  return createBaseline(name, { socatSharedPort: opts.socatSharedPort ?? false });
}

/** The relay that runs for a request (`kernel` resolved), and whether it can: the lab's probes, mcr plugged in. */
export function resolveRelay(requested: RelayName, family: AddressFamily, opts: { mcrBin?: string } = {}): Promise<ResolvedRelay<RelayName, ConcreteRelayName>> {
  return labResolveRelay(requested, family, mcrPlugins(opts.mcrBin));
}

/** Throws RelayUnavailableError when `relay` cannot run here. */
export function assertRelayAvailable(relay: ConcreteRelayName, family: AddressFamily, mcrBin?: string): Promise<void> {
  return labAssertRelayAvailable(relay, family, mcrPlugins(mcrBin));
}
