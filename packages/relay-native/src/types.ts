// The public types of relay-native, exactly as docs/architecture.md states them.

export type FanoutMode = 'hash' | 'cpu' | 'lb';

export interface OutputSpec {
  interface: string; // output interface name (for errors and counters)
  ifindex: number;
  group: string; // destination IPv4. Multicast: AF_PACKET fast path. Unicast: UDP socket.
  port: number; // 1..65535
  ttl: number; // 1..255
  sourceAddress: string; // IPv4 of the output interface: source of the rewritten packet
  sourceMac: string; // MAC of the output interface, 'aa:bb:cc:dd:ee:ff'
}

export interface RuleSpec {
  id: string;
  group: string; // input: destination multicast group
  port: number; // input: destination UDP port
  source?: string; // input: optional source IPv4
  outputs: OutputSpec[];
}

export interface WorkerOptions {
  interface: string;
  ifindex: number;
  fanout: { mode: FanoutMode; id?: number } | null; // null: no fanout group (diagnosis, negative control)
  receiveBufferBytes?: number; // default 8 MiB, SO_RCVBUFFORCE
  batchSize?: number; // default 64
  /**
   * After a partial batch, wait this long (µs) for more frames before draining again, so that one
   * wakeup serves several frames at moderate rates; it bounds the latency it adds. Default 0 (no wait).
   */
  coalesceMicros?: number;
}

export interface OutputCounters {
  packets: number;
  bytes: number;
  txErrors: number;
}

export interface RuleCounters {
  id: string;
  matched: number;
  bytes: number;
  outputs: OutputCounters[];
}

export interface WorkerCounters {
  framesSeen: number;
  matched: number;
  noMatch: number;
  malformed: number;
  fragments: number;
  forwarded: number;
  txErrors: number;
  kernelPackets: number;
  kernelDrops: number;
  rules: RuleCounters[];
}

export type ParsedFrame =
  | {
      kind: 'udp';
      vlan: number | null;
      source: string;
      group: string;
      sourcePort: number;
      port: number;
      ttl: number;
      payloadOffset: number;
      payloadLength: number;
    }
  | { kind: 'fragment' }
  | { kind: 'not-ipv4' }
  | { kind: 'not-udp' }
  | { kind: 'malformed'; reason: string };

export interface BenchHotPathOptions {
  frames: Buffer[];
  rules: RuleSpec[]; // outputs' ifindex may be 0: no sockets are opened
  iterations: number;
}

export interface BenchHotPathResult {
  nsPerPacket: number;
  matched: number;
}
