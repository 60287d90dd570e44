// Loads the lab at run time. The bench uses @mcr/mcr-lab through `openBed` (docs/architecture.md,
// "mcr-lab: test beds and trials"), and says clearly why it cannot run when the lab is missing.
import type { openBed, resolveRelay } from '@mcr/mcr-lab';
import type { machineFindings } from '@mcr/netns-lab';

export type { Bed, BedOptions, ConcreteRelayName, RelayName, TrialOptions, TrialResult } from '@mcr/mcr-lab';
export type { AddressFamily, MachineFindings } from '@mcr/netns-lab';
export type OpenBed = typeof openBed;
export type BedLoader = { openBed: OpenBed } | { unavailable: string };

export async function loadBed(): Promise<BedLoader> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@mcr/mcr-lab')) as unknown as Record<string, unknown>;
  } catch (err) {
    return { unavailable: `@mcr/mcr-lab cannot be loaded (${(err as Error).message}); build it: npx nx run mcr-lab:build` };
  }
  if (typeof mod.openBed !== 'function') {
    return { unavailable: '@mcr/mcr-lab does not export openBed (the test-bed API of docs/architecture.md)' };
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

/** A requested relay that cannot run on this machine, and why (the lab's probes say). */
export interface UnavailableRelay {
  relay: string;
  title: string;
  reason: string;
}

type Lab = { resolveRelay: typeof resolveRelay; machineFindings: typeof machineFindings; relayTitle: (name: string) => string };

async function labModule(): Promise<Lab | undefined> {
  try {
    const [mcrLab, netnsLab] = await Promise.all([import('@mcr/mcr-lab'), import('@mcr/netns-lab')]);
    return { resolveRelay: mcrLab.resolveRelay, relayTitle: mcrLab.relayTitle, machineFindings: netnsLab.machineFindings };
  } catch {
    return undefined;
  }
}

/**
 * The relays a run measures: each request resolved (`kernel` to kernel-mfc or kernel-tc), those that
 * cannot run here set apart with their reason. Without the lab (or root) nothing is resolved: the
 * target then says why it cannot run.
 */
export async function resolveRelays(
  requested: readonly string[],
  family: 'ipv4' | 'ipv6',
): Promise<{ relays: string[]; unavailable: UnavailableRelay[] }> {
  const lab = await labModule();
  if (!lab || process.getuid?.() !== 0) return { relays: [...requested], unavailable: [] };
  const relays: string[] = [];
  const unavailable: UnavailableRelay[] = [];
  for (const name of requested) {
    const r = await lab.resolveRelay(name as Parameters<typeof resolveRelay>[0], family);
    if (r.unavailable !== undefined) unavailable.push({ relay: r.relay, title: lab.relayTitle(r.relay), reason: r.unavailable });
    else if (!relays.includes(r.relay)) relays.push(r.relay);
  }
  return { relays, unavailable };
}

/** The lab's findings about this machine for a results file's environment; null without the lab or root. */
export async function machineFindingsOrNull(): Promise<import('@mcr/netns-lab').MachineFindings | null> {
  const lab = await labModule();
  if (!lab || process.getuid?.() !== 0) return null;
  try {
    return await lab.machineFindings();
  } catch {
    return null;
  }
}
