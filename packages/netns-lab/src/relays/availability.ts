// Whether each relay can run on this machine, and why not: every adapter checks what it needs
// before it starts, from the doctor's probes (never from a kernel version), and refuses with a
// reason that names the relay, the missing piece and how it was found. The baselines are checked
// here; a plugged-in relay (RelayPlugin) answers for itself.
import type { MachineFindings } from '../doctor/machine.js';
import { machineFindings } from '../doctor/machine.js';
import type { AddressFamily } from '../topology/index.js';
import type { RelayPlugin } from './plugin.js';
import { BASELINE_NAMES, relayTitle, type BaselineName, type ConcreteBaselineName } from './types.js';

export const CONCRETE_BASELINES: readonly ConcreteBaselineName[] = BASELINE_NAMES.filter((r): r is ConcreteBaselineName => r !== 'kernel');

const isConcreteBaseline = (name: string): name is ConcreteBaselineName => (CONCRETE_BASELINES as readonly string[]).includes(name);

const CONFIG_MROUTE: Record<AddressFamily, string> = { ipv4: 'CONFIG_IP_MROUTE', ipv6: 'CONFIG_IPV6_MROUTE' };
const FAMILY_TITLE: Record<AddressFamily, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

function missingTool(m: MachineFindings, tool: string, pkg: string): string | undefined {
  const t = m.tools[tool];
  return t && t.version === null ? `${t.how} (Debian package ${pkg}; ./tools/setup.sh installs it)` : undefined;
}

function missingFeatures(m: MachineFindings, features: (keyof MachineFindings['features'])[]): string | undefined {
  const missing = features.filter((f) => m.features[f].available !== true);
  return missing.length ? `this kernel lacks ${missing.map((f) => `${f} (${m.features[f].how})`).join('; ')}` : undefined;
}

/**
 * Why `relay` (a concrete baseline, or one of `plugins` by name) cannot run here for streams of
 * `family`, or undefined when it can. Pure. An unknown name is a TypeError.
 */
export function relayUnavailableReason(relay: string, family: AddressFamily, m: MachineFindings, plugins: readonly RelayPlugin[] = []): string | undefined {
  const plugin = plugins.find((p) => p.name === relay);
  if (plugin) {
    const why = plugin.unavailableReason(family, m);
    return why === undefined ? undefined : `${plugin.title}: ${why}`;
  }
  if (!isConcreteBaseline(relay)) throw new TypeError(`unknown relay ${JSON.stringify(relay)} (expected one of ${[...plugins.map((p) => p.name), ...CONCRETE_BASELINES].join(', ')})`);
  const why = ((): string | undefined => {
    switch (relay) {
      case 'socat':
      case 'socat-default':
        return missingTool(m, 'socat', 'socat');
      case 'kernel-mfc': {
        const routing = m.features[family === 'ipv6' ? 'ipv6MulticastRouting' : 'ipv4MulticastRouting'];
        if (routing.available !== true) {
          return `this kernel has no ${FAMILY_TITLE[family]} multicast routing (${CONFIG_MROUTE[family]}); ${routing.how}`;
        }
        return missingTool(m, 'smcroute', 'smcroute');
      }
      case 'kernel-tc':
      case 'direct':
        return missingTool(m, 'tc', 'iproute2') ?? missingFeatures(m, ['clsact', 'clsU32', 'actMirred']);
    }
  })();
  return why === undefined ? undefined : `${relayTitle(relay)}: ${why}`;
}

/** `kernel` resolves to kernel multicast routing where the kernel has it for the family, else to tc. */
export function resolveKernel(family: AddressFamily, m: MachineFindings): 'kernel-mfc' | 'kernel-tc' {
  return m.multicastRouting[family] === true ? 'kernel-mfc' : 'kernel-tc';
}

export interface ResolvedRelay<Requested extends string = BaselineName, Runs extends string = ConcreteBaselineName> {
  /** What was asked for (`kernel` included). */
  requested: Requested;
  /** What runs. */
  relay: Runs;
  /** Why it cannot run here; absent when it can. */
  unavailable?: string;
}

/**
 * The relay that runs for a request (a baseline, or one of `plugins` by name), and whether it can
 * (probes the machine once per process).
 */
export async function resolveRelay<R extends string = BaselineName>(
  requested: R,
  family: AddressFamily,
  plugins: readonly RelayPlugin[] = [],
): Promise<ResolvedRelay<R, Exclude<R, 'kernel'> | 'kernel-mfc' | 'kernel-tc'>> {
  const m = await machineFindings();
  const relay = (requested === 'kernel' ? resolveKernel(family, m) : requested) as Exclude<R, 'kernel'> | 'kernel-mfc' | 'kernel-tc';
  const unavailable = relayUnavailableReason(relay, family, m, plugins);
  return { requested, relay, ...(unavailable !== undefined ? { unavailable } : {}) };
}

/** Thrown when a relay cannot run on this machine: the run goes on for the others. */
export class RelayUnavailableError extends Error {
  constructor(readonly relay: string, readonly reason: string) {
    super(reason);
    this.name = 'RelayUnavailableError';
  }
}

/** Throws RelayUnavailableError when `relay` cannot run here: every adapter calls it before it starts. */
export async function assertRelayAvailable(relay: string, family: AddressFamily, plugins: readonly RelayPlugin[] = []): Promise<void> {
  const reason = relayUnavailableReason(relay, family, await machineFindings(), plugins);
  if (reason !== undefined) throw new RelayUnavailableError(relay, reason);
}
