// The compiled binding and the exact shapes it accepts. Only this package's modules use it: the
// native handles stay private behind the TS classes.
import { createRequire } from 'node:module';

import type { WorkerCounters } from './types.js';

/** A rule as the native side reads it: validated, addresses as host-order uint32. */
export interface NativeOutputSpec {
  interface: string;
  ifindex: number;
  group: number;
  port: number;
  ttl: number;
  ttlSet: boolean; // ttlMode 'set'
  sourceAddress: number;
  sourceMac: Buffer;
}
export interface NativeRuleSpec {
  id: string;
  group: number;
  port: number;
  hasSource: boolean;
  source: number;
  vlan: number; // -1: untagged frames only
  maxPps: number; // 0: unlimited
  outputs: NativeOutputSpec[];
}

export interface NativeDataPlaneWorker {
  fanoutId(): number | null;
  setRules(rules: NativeRuleSpec[], ownMacs: Buffer): void; // ownMacs: 6 bytes per address
  start(): void;
  stop(): void;
  counters(): WorkerCounters;
  checkHealth(): void;
}
export interface NativeMembershipSocket {
  join(ifindex: number, group: number, interfaceName: string, groupText: string): void;
  leave(ifindex: number, group: number, interfaceName: string, groupText: string): void;
  close(): void;
}
/** kind: 0 udp, 1 fragment, 2 not-ipv4, 3 not-udp, 4 malformed (FrameKind in frame_parser.hpp). */
export interface NativeParsedFrame {
  kind: 0 | 1 | 2 | 3 | 4;
  reason?: string;
  vlan?: number;
  source?: number;
  group?: number;
  sourcePort?: number;
  port?: number;
  ttl?: number;
  payloadOffset?: number;
  payloadLength?: number;
}

export interface NativeBinding {
  DataPlaneWorker: new (
    interfaceName: string,
    ifindex: number,
    fanoutMode: number,
    fanoutId: number,
    receiveBufferBytes: number,
    batchSize: number,
    coalesceMicros: number,
    allMulticast: boolean,
    injectedWorkNanos: number,
    latencyBudgetMicros: number,
  ) => NativeDataPlaneWorker;
  MembershipSocket: new () => NativeMembershipSocket;
  parseFrame(frame: Buffer): NativeParsedFrame;
  benchHotPath(
    frames: Buffer[],
    rules: NativeRuleSpec[],
    iterations: number,
    partialChecksum: boolean,
  ): { nsPerPacket: number; matched: number };
}

// src/ and dist/ both sit one level below the package root, next to build/.
const require = createRequire(import.meta.url);
export const native = require('../build/Release/mcr_native.node') as NativeBinding;
