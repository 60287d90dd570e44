export type { RelayUnderTest, RelayName, ConcreteRelayName, RelayStartOptions, McrDataPlane, McrTestOnly, StreamSpec, ResolvedStream } from './types.js';
export { RELAY_NAMES, RELAY_TITLES, relayTitle, isKernelRelay, relayRewrites, relayInSoftirq } from './types.js';
export { SocatRelay, socatArgs, socatIntData, SOCAT_BUFFER_BYTES, type SocatRelayOptions, type SocatArgsOptions } from './socat.js';
export { KernelMfcRelay, smcrouteConf, smcroutedArgs, type SmcrouteConfOptions } from './kernel-mfc.js';
export { KernelTcRelay, TcRelay, tcMirrorBatch } from './kernel-tc.js';
export { DirectRelay, directWireBatch } from './direct.js';
export { McrRelay, mcrConfig, type McrConfig, type McrRelayOptions } from './mcr.js';
export { mcrBin, mcrUnavailableReason, MCR_BIN_ENV } from './mcr-bin.js';
export {
  CONCRETE_RELAYS,
  relayUnavailableReason,
  resolveKernel,
  resolveRelay,
  assertRelayAvailable,
  RelayUnavailableError,
  type ResolvedRelay,
} from './availability.js';
export { resolveStreams, streamsFamily } from './common.js';
export { CpuMeter, busyTicks, clockTicksPerSecond, machineBusySeconds } from './cpu.js';
import { DirectRelay } from './direct.js';
import { KernelMfcRelay } from './kernel-mfc.js';
import { KernelTcRelay } from './kernel-tc.js';
import { McrRelay } from './mcr.js';
import { SocatRelay } from './socat.js';
import type { ConcreteRelayName, RelayUnderTest } from './types.js';

export interface CreateRelayOptions {
  /** mcr: the CLI to run (bin/mcr.js of some build). */
  mcrBin?: string;
  /** mcr: `--state FILE`. */
  mcrStateFile?: string;
  /** socat: the negative control (every process bound to INADDR_ANY:port). */
  socatSharedPort?: boolean;
}

/** A fresh adapter for a relay that runs (resolve `kernel` first: resolveRelay). */
export function createRelay(name: ConcreteRelayName, opts: CreateRelayOptions = {}): RelayUnderTest {
  switch (name) {
    case 'mcr':
      return new McrRelay({ ...(opts.mcrBin !== undefined ? { bin: opts.mcrBin } : {}), ...(opts.mcrStateFile !== undefined ? { stateFile: opts.mcrStateFile } : {}) });
    case 'socat':
    case 'socat-default':
      return new SocatRelay({ sharedPort: opts.socatSharedPort ?? false, tuned: name === 'socat' });
    case 'kernel-mfc':
      return new KernelMfcRelay();
    case 'kernel-tc':
      return new KernelTcRelay();
    case 'direct':
      return new DirectRelay();
  }
}
export { relayRecipes, type RelayRecipe } from './recipes.js';
