import type * as native from '@mcr/relay-native';

// The data plane's API as CONTRACT.md states it. relay-native's additions (branch `native`) are not
// merged yet; these intersections are exactly those additions, so that once they are, each type
// below is the imported one unchanged and this module reduces to re-exports.

export type TtlMode = 'decrement' | 'set';
export type OutputSpec = native.OutputSpec & { ttlMode?: TtlMode };
export type RuleSpec = Omit<native.RuleSpec, 'outputs'> & { outputs: OutputSpec[]; vlan?: number; maxPps?: number };
export interface TableContext {
  /** MAC addresses of every interface of this namespace: frames from them are never relayed. [] disables the check. */
  ownMacs: string[];
}
export type WorkerOptions = native.WorkerOptions & { allMulticast?: boolean; injectedWorkNanos?: number };
export type RuleCounters = native.RuleCounters & { rateLimited: number };
export type WorkerCounters = Omit<native.WorkerCounters, 'rules'> & {
  ownFrames: number;
  badChecksum: number;
  ttlExpired: number;
  rateLimited: number;
  outputAbsent: number;
  rules: RuleCounters[];
};
export type FanoutMode = native.FanoutMode;
