// Whether each relay can run on this machine, and why not: every adapter checks what it needs
// before it starts, from the doctor's probes (never from a kernel version), and refuses with a
// reason that names the relay, the missing piece and how it was found.
import type { MachineFindings } from '../doctor/machine.js';
import { machineFindings } from '../doctor/machine.js';
import type { AddressFamily } from '../topology/index.js';
import { mcrUnavailableReason } from './mcr-bin.js';
import { RELAY_NAMES, relayTitle, type ConcreteRelayName, type RelayName } from './types.js';

export const CONCRETE_RELAYS: readonly ConcreteRelayName[] = RELAY_NAMES.filter((r): r is ConcreteRelayName => r !== 'kernel');

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

/** Why `relay` cannot run here for streams of `family`, or undefined when it can. Pure. */
export function relayUnavailableReason(relay: ConcreteRelayName, family: AddressFamily, m: MachineFindings, mcrBin?: string): string | undefined {
  const why = ((): string | undefined => {
    switch (relay) {
      case 'mcr':
        return mcrUnavailableReason(mcrBin);
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

export interface ResolvedRelay {
  /** What was asked for (`kernel` included). */
  requested: RelayName;
  /** What runs. */
  relay: ConcreteRelayName;
  /** Why it cannot run here; absent when it can. */
  unavailable?: string;
}

/** The relay that runs for a request, and whether it can (probes the machine once per process). */
export async function resolveRelay(requested: RelayName, family: AddressFamily, opts: { mcrBin?: string } = {}): Promise<ResolvedRelay> {
  const m = await machineFindings();
  const relay = requested === 'kernel' ? resolveKernel(family, m) : requested;
  const unavailable = relayUnavailableReason(relay, family, m, opts.mcrBin);
  return { requested, relay, ...(unavailable !== undefined ? { unavailable } : {}) };
}

/** Thrown when a relay cannot run on this machine: the run goes on for the others. */
export class RelayUnavailableError extends Error {
  constructor(readonly relay: ConcreteRelayName, readonly reason: string) {
    super(reason);
    this.name = 'RelayUnavailableError';
  }
}

/** Throws RelayUnavailableError when `relay` cannot run here: every adapter calls it before it starts. */
export async function assertRelayAvailable(relay: ConcreteRelayName, family: AddressFamily, mcrBin?: string): Promise<void> {
  const reason = relayUnavailableReason(relay, family, await machineFindings(), mcrBin);
  if (reason !== undefined) throw new RelayUnavailableError(relay, reason);
}
