export type { RelayUnderTest, RelayName, RelayStartOptions, McrDataPlane, McrTestOnly, StreamSpec, ResolvedStream } from './types.js';
export { RELAY_NAMES } from './types.js';
export { SocatRelay, socatArgs, type SocatRelayOptions } from './socat.js';
export { KernelRelay, smcrouteConf, type SmcrouteConfOptions } from './kernel.js';
export { McrRelay, mcrConfig, mcrBin, mcrUnavailableReason, MCR_BIN_ENV, type McrConfig, type McrRelayOptions } from './mcr.js';
export { resolveStreams, streamsFamily } from './common.js';
export { CpuMeter, busyTicks, clockTicksPerSecond, machineBusySeconds } from './cpu.js';
import { KernelRelay } from './kernel.js';
import { McrRelay } from './mcr.js';
import { SocatRelay } from './socat.js';
import type { RelayUnderTest } from './types.js';

export const RELAY_LABELS = ['mcr', 'socat', 'socat-shared-port', 'kernel'] as const;
export type RelayLabel = (typeof RELAY_LABELS)[number];

/** A fresh relay adapter by its table label. */
export function createRelay(label: RelayLabel): RelayUnderTest {
  switch (label) {
    case 'mcr':
      return new McrRelay();
    case 'socat':
      return new SocatRelay();
    case 'socat-shared-port':
      return new SocatRelay({ sharedPort: true });
    case 'kernel':
      return new KernelRelay();
  }
}
