// Loads the lab at run time. The bench uses @mcr/netns-lab through `openBed` (docs/architecture.md,
// "netns-lab: test beds and trials"), and says clearly why it cannot run when the lab is missing.
import type { openBed } from '@mcr/netns-lab';

export type { AddressFamily, Bed, BedOptions, RelayName, TrialOptions, TrialResult } from '@mcr/netns-lab';
export type OpenBed = typeof openBed;
export type BedLoader = { openBed: OpenBed } | { unavailable: string };

export async function loadBed(): Promise<BedLoader> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@mcr/netns-lab')) as unknown as Record<string, unknown>;
  } catch (err) {
    return { unavailable: `@mcr/netns-lab cannot be loaded (${(err as Error).message}); build it: npx nx run netns-lab:build` };
  }
  if (typeof mod.openBed !== 'function') {
    return { unavailable: '@mcr/netns-lab does not export openBed (the test-bed API of docs/architecture.md)' };
  }
  return { openBed: mod.openBed as OpenBed };
}

/** True when the lab exports openBed and we run as root (namespaces need it). */
export async function bedAvailable(): Promise<boolean> {
  const loaded = await loadBed();
  return 'openBed' in loaded && process.getuid?.() === 0;
}

/** The lab's openBed (or `injected`), or undefined after telling stderr why the lab cannot run. */
export async function openBedOrExplain(target: string, injected?: OpenBed): Promise<OpenBed | undefined> {
  const loaded: BedLoader = injected ? { openBed: injected } : await loadBed();
  if ('unavailable' in loaded) {
    process.stderr.write(`bench ${target}: the lab is not available: ${loaded.unavailable}\n`);
    return undefined;
  }
  return loaded.openBed;
}
