export type { RelayUnderTest, BaselineName, ConcreteBaselineName, RelayStartOptions, StreamSpec, ResolvedStream } from './types.js';
export { BASELINE_NAMES, BASELINE_TITLES, LAB_TTL, isBaselineName, relayTitle, isKernelRelay, baselineRewrites, relayInSoftirq } from './types.js';
export type { RelayPlugin } from './plugin.js';
export { SocatRelay, socatArgs, socatIntData, SOCAT_BUFFER_BYTES, type SocatRelayOptions, type SocatArgsOptions } from './socat.js';
export { KernelMfcRelay, smcrouteConf, smcroutedArgs, type SmcrouteConfOptions } from './kernel-mfc.js';
export { KernelTcRelay, TcRelay, tcMirrorBatch } from './kernel-tc.js';
export { DirectRelay, directWireBatch } from './direct.js';
export {
  CONCRETE_BASELINES,
  relayUnavailableReason,
  resolveKernel,
  resolveRelay,
  assertRelayAvailable,
  RelayUnavailableError,
  type ResolvedRelay,
} from './availability.js';
export { resolveStreams, streamsFamily, relayRole, spawnInNetns, stopChild, waitForOutput, waitUntil, CHILD_OUTPUT_TAIL_BYTES, type Child } from './common.js';
export { CpuMeter, busyTicks, clockTicksPerSecond, machineBusySeconds } from './cpu.js';
import { DirectRelay } from './direct.js';
import { KernelMfcRelay } from './kernel-mfc.js';
import { KernelTcRelay } from './kernel-tc.js';
import { SocatRelay } from './socat.js';
import type { ConcreteBaselineName, RelayUnderTest } from './types.js';

export interface CreateBaselineOptions {
  /** socat: the negative control (every process bound to INADDR_ANY:port). */
  socatSharedPort?: boolean;
}

/** A fresh adapter for a baseline that runs (resolve `kernel` first: resolveRelay). */
export function createBaseline(name: ConcreteBaselineName, opts: CreateBaselineOptions = {}): RelayUnderTest {
  switch (name) {
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
export { forwardThrough, sendAndCount, type Counts as ForwardedCounts } from './forward-through.js';
