// The compiled binding and the exact shapes it accepts. Only this package's modules use it: the
// native handles stay private behind the TS classes.
import { createRequire } from 'node:module';

import type { DatagramCounters, IgnoreOutgoingMode, ListenerCounters, OutgoingProbe, TcAttachMode, TcCounters, TcSupport, WorkerCounters } from './types.js';

/**
 * A rule as the native side reads it: validated; addresses as Buffers in network byte order, 4
 * bytes (IPv4) or 16 (IPv6), one family per rule.
 */
export interface NativeOutputSpec {
  interface: string;
  ifindex: number;
  group: Buffer;
  multicast: boolean; // false: unicast, sent through a UDP/UDP6 socket
  mapsRange: boolean; // offset mapping: destination = group + (input destination - rule's base)
  port: number;
  ttl: number;
  ttlSet: boolean; // ttlMode 'set'
  sourceAddress: Buffer;
  sourceMac: Buffer;
  /** null: every frame is sent. Else the gates, encoded by encodeListeners (validate.ts); empty: none sent. */
  listeners: Buffer | null;
}
export interface NativeRuleSpec {
  id: string;
  group: Buffer; // the base of the range when prefixLength is shorter than the address
  prefixLength: number; // 32 (IPv4) / 128 (IPv6): exact
  port: number;
  hasSource: boolean;
  source: Buffer; // zeros when hasSource is false
  vlan: number; // -1: untagged frames only
  maxPps: number; // 0: unlimited
  fastPath: boolean; // TableContext.fastPathRules names it
  outputs: NativeOutputSpec[];
}

export interface NativeDataPlaneWorker {
  fanoutId(): number | null;
  ignoreOutgoing(): { mode: IgnoreOutgoingMode; probe: OutgoingProbe };
  setRules(rules: NativeRuleSpec[], ownMacs: Buffer): void; // ownMacs: 6 bytes per address
  start(): void;
  stop(): void;
  counters(): WorkerCounters;
  checkHealth(): void;
}
/** source: an empty Buffer for an any-source join; else the same family as group. */
export interface NativeMembershipSocket {
  join(ifindex: number, group: Buffer, source: Buffer, interfaceName: string, groupText: string): void;
  leave(ifindex: number, group: Buffer, source: Buffer, interfaceName: string, groupText: string): void;
  close(): void;
}
/** A packet as the reader hands it over: addresses (4 or 16 bytes) and the MAC as bytes. */
export interface NativeListenerPacket {
  source: Buffer;
  destination: Buffer;
  payload: Buffer;
  hopLimit: number;
  routerAlert: boolean;
  sourceMac: Buffer;
}
export interface NativeListenerSocket {
  send(source: Buffer, destination: Buffer, payload: Buffer, destinationText: string): void;
  counters(): ListenerCounters;
  close(): void;
}
/** A datagram as the reader hands it over: addresses (4 or 16 bytes) and the MAC as bytes. */
export interface NativeDatagram {
  source: Buffer;
  destination: Buffer;
  sourcePort: number;
  payload: Buffer;
  hopLimit: number;
  sourceMac: Buffer;
}
export interface NativeDatagramSocket {
  send(source: Buffer, sourcePort: number, hopLimit: number, payload: Buffer): void;
  counters(): DatagramCounters;
  close(): void;
}
/**
 * kind: 0 udp, 1 fragment, 2 not-ip, 3 not-udp, 4 malformed, 5 extension header (FrameKind in
 * frame_parser.hpp).
 */
export interface NativeParsedFrame {
  kind: 0 | 1 | 2 | 3 | 4 | 5;
  reason?: string;
  nextHeader?: number;
  vlan?: number;
  source?: Buffer;
  group?: Buffer;
  sourcePort?: number;
  port?: number;
  ttl?: number;
  payloadOffset?: number;
  payloadLength?: number;
}

/** The tc engine's answer from the test-only entry (TC_TEST_* in src/bpf/tc_abi.h). */
export interface NativeTestRun {
  retval: number;
  frame: Buffer;
}
export interface NativeTcEngine {
  attach(): TcAttachMode;
  setRules(rules: NativeRuleSpec[], ownMacs: Buffer): void;
  counters(): TcCounters;
  testEmit(frame: Buffer, output: number, vlan: number, takeToken: boolean): NativeTestRun;
  testIngress(frame: Buffer): NativeTestRun;
  close(): void;
}
export interface NativeReferenceOutputs {
  counters: Record<string, number>;
  outputs: { rule: number; output: number; bytes: Buffer }[];
}

export interface NativeBinding {
  TcEngine: {
    new (interfaceName: string, ifindex: number, injectedCostLoops: number, noTcx: boolean): NativeTcEngine;
    probe(): TcSupport;
    tcxPrograms(ifindex: number): number | null;
  };
  referenceOutputs(frame: Buffer, rules: NativeRuleSpec[], ownMacs: Buffer, metadataVlan: number): NativeReferenceOutputs;
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
    fanoutIgnoreOutgoingUnsupported: boolean,
  ) => NativeDataPlaneWorker;
  MembershipSocket: new () => NativeMembershipSocket;
  /** deliver: on the JS thread, a packet (error null) or a receive error (packet null), never both. */
  ListenerSocket: new (
    interfaceName: string,
    ifindex: number,
    ipv6: boolean,
    deliver: (packet: NativeListenerPacket | null, error: unknown) => void,
  ) => NativeListenerSocket;
  /** deliver: as ListenerSocket's. group: 4 or 16 bytes of the family. */
  DatagramSocket: new (
    interfaceName: string,
    ifindex: number,
    ipv6: boolean,
    group: Buffer,
    port: number,
    deliver: (datagram: NativeDatagram | null, error: unknown) => void,
  ) => NativeDatagramSocket;
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
