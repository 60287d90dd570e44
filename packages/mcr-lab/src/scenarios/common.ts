// Helpers the scenarios share: bed options from scenario options, and a bed that always closes.
import { openBed, type Bed, type BedOptions } from '../bed/index.js';
import { isMcrRelay, type RelayName } from '../relays/index.js';
import { up, type Lab, type Topology } from '@mcr/netns-lab';
import type { ScenarioOptions } from './options.js';

/** Bed options for `relay` with the scenario's family, mcr settings and negative control. */
export function bedOptions(o: ScenarioOptions, streams: number, relay: RelayName = o.relay, extra: Partial<BedOptions> = {}): BedOptions {
  return {
    relay,
    streams,
    family: o.family,
    ...(isMcrRelay(relay) ? { workers: o.workers, fanoutMode: o.fanoutMode, igmpJoin: o.injectBug !== 'no-igmp' } : {}),
    ...(!isMcrRelay(relay) && o.injectBug === 'no-igmp' ? { igmpJoin: false } : {}),
    ...(relay === 'socat' && o.injectBug === 'socat-shared-port' ? { socatSharedPort: true } : {}),
    onProgress: o.onProgress,
    ...extra,
  };
}

export async function withBed<T>(opts: BedOptions, fn: (bed: Bed) => Promise<T>): Promise<T> {
  const bed = await openBed(opts);
  try {
    return await fn(bed);
  } finally {
    await bed.close();
  }
}

/**
 * A scenario's trial. With an injected bug nothing arriving is a possible outcome the scenario's own
 * checks report; without one, a relay that delivers nothing fails the trial (RelayDeliveredNothingError).
 */
export const trialOptions = (o: ScenarioOptions) => ({ rate: o.rate, count: o.count, size: o.size, expectDelivery: o.injectBug === undefined });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a schedule can be replayed with --seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Realises `topo`, runs `fn` on it, and takes it down whatever happens. */
export async function withLab<T>(topo: Topology, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await up(topo);
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}
