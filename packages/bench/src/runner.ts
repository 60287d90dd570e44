// Runs one interleaved rate search on real test beds: one bed per relay, kept up across trials,
// closed in `finally` (and on SIGINT/SIGTERM).
import type { Bed, BedOptions, OpenBed, RelayName } from './lab.js';
import { mcrRatios } from './search/ratios.js';
import { confirmRates, searchRates, unavailableSearch, type ProgressEvent, type RelaySearch } from './search/search.js';
import type { RunPoint } from './results/schema.js';
import type { Settings } from './settings.js';

export interface PointSpec {
  label: string;
  params: RunPoint['params'];
  bedOptions: (relay: RelayName) => BedOptions;
}

/** Beds still open, so a signal handler can close them. */
const openBeds = new Set<Bed>();

export function closeAllBeds(): Promise<unknown> {
  return Promise.allSettled([...openBeds].map((b) => b.close().finally(() => openBeds.delete(b))));
}

let handlersInstalled = false;
function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, closing ${openBeds.size} test bed(s)\n`);
      void closeAllBeds().finally(() => process.exit(130));
    });
  }
}

/** Keeps `bed` closable by SIGINT/SIGTERM until released (for targets that open beds themselves). */
export function trackBed(bed: Bed): void {
  installSignalHandlers();
  openBeds.add(bed);
}

export function untrackBed(bed: Bed): void {
  openBeds.delete(bed);
}

export async function runPoint(
  openBed: OpenBed,
  spec: PointSpec,
  settings: Settings,
  relays: readonly RelayName[],
  notes: string[],
  onProgress?: (e: ProgressEvent<RelayName>) => void,
  afterSearch?: (beds: ReadonlyMap<RelayName, Bed>, searched: readonly RelaySearch<RelayName>[]) => Promise<void>,
): Promise<RunPoint> {
  installSignalHandlers();
  const beds = new Map<RelayName, Bed>();
  const failed: RelaySearch<RelayName>[] = [];
  try {
    for (const relay of relays) {
      try {
        const bed = await openBed(spec.bedOptions(relay));
        openBeds.add(bed);
        beds.set(relay, bed);
      } catch (err) {
        const first = (err as Error).message.split('\n')[0]!;
        if ((err as Error).name === 'RelayUnavailableError') {
          notes.push(`${spec.label}: ${first}`);
          failed.push(unavailableSearch(relay, first));
          continue;
        }
        const msg = `${spec.label}: ${relay} test bed could not be opened: ${first}`;
        notes.push(msg);
        failed.push({ relay, ndr: null, pdr: null, stop: 'error', ndrStop: 'error', duplicatesTotal: 0, trials: [], error: msg });
      }
    }
    const trial = (relay: RelayName, rate: number) => beds.get(relay)!.trial({ rate, durationSec: settings.trialSeconds, size: settings.size, prime: settings.prime });
    const cfg = {
      floorPps: settings.floorPps,
      ceilingPps: settings.ceilingPps,
      rungs: settings.rungs,
      resolution: settings.resolution,
      maxLossPct: settings.maxLossPct,
      senderBoundRatio: settings.senderBoundRatio,
    };
    const searched = await searchRates([...beds.keys()], trial, cfg, onProgress);
    // Figures with their spread: `repeats` trials at every NDR and PDR rate, interleaved over relays.
    await confirmRates(searched, trial, cfg, settings.repeats, onProgress);
    if (afterSearch) await afterSearch(beds, searched);
    const all: RelaySearch<RelayName>[] = [
      ...relays.map((r) => searched.find((s) => s.relay === r) ?? failed.find((s) => s.relay === r)!),
      ...settings.unavailable.map((u) => unavailableSearch(u.relay as RelayName, u.reason)),
    ];
    return { label: spec.label, params: spec.params, relays: all, ratios: mcrRatios(all) };
  } finally {
    for (const bed of beds.values()) {
      await bed.close().catch((err: unknown) => notes.push(`closing a test bed failed: ${(err as Error).message}`));
      openBeds.delete(bed);
    }
  }
}
