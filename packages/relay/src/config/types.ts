import { NATIVE_FANOUT_MODES, NATIVE_TTL_MODES, WORKER_DEFAULTS, type FanoutMode as NativeFanoutMode, type TtlMode } from '@mcr/relay-native';

// The relay's configuration, as users write it (JSON5) and as the rest of the relay sees it once
// normalised: every default filled in, every field checked.

import type { AddressFamily } from '@mcr/relay-native';
import type { ListenerSettings } from '../listeners/listener-settings.js';
import type { ReflectorConfig } from '../reflectors/reflector-schema.js';

export type { AddressFamily };
/** The data plane's PACKET_FANOUT modes, and off: every worker gets every frame (diagnosis, negative controls). */
export type FanoutMode = NativeFanoutMode | 'off';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';

export interface InputSpec {
  interface: string;
  /** Canonical text of the group, or of the range's base (host bits zero); never with "/LEN". */
  group: string;
  /** Absent: exactly `group`. Present: every group of group/prefixLength (shorter than the family's bits). */
  prefixLength?: number;
  port: number;
  /** Source-specific (SSM): only packets from this unicast address, of the group's family. */
  source?: string;
  /** 802.1Q VLAN id: only frames tagged with it match. Absent: untagged frames only. */
  vlan?: number;
  /** The family of group, source and every output of the rule (one family per rule). */
  family: AddressFamily;
}

/**
 * decrement (default): out TTL = min(ttl, input TTL - 1), and inputs with TTL <= 1 are not sent, so a
 * loop dies within the TTL. set: out TTL = ttl whatever came in (loop-unsafe; for TTL-1 sources).
 */
export type { TtlMode };

export interface OutputSpec {
  interface: string;
  /** A multicast group (or a range's base), or a unicast address (multicast-to-unicast); canonical text. */
  group: string;
  /**
   * Only on a range rule's multicast output, equal to the input's prefixLength: each input group goes
   * to the output group at the same offset ("offset mapping"). Absent on a range rule: every group
   * of the range goes to `group`.
   */
  prefixLength?: number;
  port: number;
  ttl: number;
  ttlMode: TtlMode;
  /**
   * Absent: "always", every frame is sent. "listeners": only while the output's segment has a listener
   * for the output group (and the frame's source), as IGMP/MLD reports say (RFC 3376 §6, RFC 3810 §7).
   */
  forward?: ForwardMode;
}

export const FORWARD_MODES = ['always', 'listeners'] as const;
export type ForwardMode = (typeof FORWARD_MODES)[number];
/** A rule's `join`: "on-demand" joins the input groups only while a listeners output wants them (RFC 4605). */
export const ON_DEMAND = 'on-demand';

export interface Rule {
  id: string;
  input: InputSpec;
  outputs: OutputSpec[];
  /** Frames per second this rule may forward (per worker); absent: unlimited. */
  maxPps?: number;
  /**
   * true: the input and outputs may use groups that never leave the link (IPv4 224.0.0.0/24, IPv6
   * scopes 1 and 2: ff01::/16, ff02::/16), which are refused otherwise.
   */
  linkLocal?: boolean;
  /**
   * false: no membership is joined for this rule (its frames arrive by other means). Absent: true.
   * A range of more than RELAY_LIMITS.maxJoinedGroupsPerRange groups must say false.
   */
  join?: boolean | typeof ON_DEMAND;
}

/** TEST-ONLY switches, logged loudly at start: they exist so the lab can prove its checks can fail. */
export interface TestOnlySettings {
  /** No own-MAC check and TTL "set" on every output: the loop guard off (the negative control). */
  disableLoopGuard: boolean;
  /** Busy work per frame read in the data plane, so a gate can prove it catches a slowdown. */
  injectedWorkNanos: number;
  /** TEST-ONLY: workers join their fanout groups without PACKET_FANOUT_FLAG_IGNORE_OUTGOING, as on a kernel that ignores it. */
  fanoutIgnoreOutgoingUnsupported: boolean;
  /** TEST-ONLY: a worker that dies is not restarted, so a check of recovery can be shown to fail. */
  noWorkerRestart: boolean;
  /** TEST-ONLY: the state file is read at start and never written (every save claims success). */
  forgetState: boolean;
  /** TEST-ONLY: leaves (IGMPv2 leave, MLDv1 done, TO_IN and BLOCK records) are ignored: groups stay until they time out. */
  ignoreLeaves: boolean;
  /** TEST-ONLY: empty bpf_loop iterations per frame in the tc engine's program (its gate's negative control). */
  tcInjectedCostLoops: number;
  /** TEST-ONLY: reflectors do not consult their loop cache: a loop of reflectors storms. */
  noLoopCache: boolean;
  /** TEST-ONLY: reflectors join no group on their members (IGMP/MLD): a snooping switch sends them nothing. */
  noReflectorJoins: boolean;
}

/**
 * Which engine forwards: 'packet' (AF_PACKET workers, every rule), 'tc' (a BPF program on each input's
 * tc ingress, every rule; refused when it cannot take one), 'auto' (tc for the rules it can take and
 * wherever it can run, the packet engine for the rest, each choice logged).
 */
export const DATA_PLANE_ENGINES = ['packet', 'tc', 'auto'] as const;
export type DataPlaneEngine = (typeof DATA_PLANE_ENGINES)[number];

export interface DataPlaneSettings {
  /** DATA_PLANE_ENGINES; default 'packet'. */
  engine: DataPlaneEngine;
  /** Frames a worker reads and sends per batch. */
  batchSize: number;
  /**
   * A fixed coalescing window (µs): after a partial batch, wait this long before draining again, so one
   * wake-up serves several frames, at any rate. Above 0 it replaces the adaptive wait
   * (latencyBudgetMicros is then ignored). 0 (default): adaptive.
   */
  coalesceMicros: number;
  /**
   * Adaptive coalescing (used while coalesceMicros is 0): the worker measures the arrival rate and
   * waits up to this long (µs) after a partial batch only when the wait would gather several frames;
   * at low rates it wakes on every frame (nothing added), at bulk rates (>= 100 kpps) it waits a
   * longer window because CPU, not latency, is then what runs out. 0: never wait (a wake-up per frame).
   */
  latencyBudgetMicros: number;
}

export interface RelayConfig {
  workers: number;
  dataPlane: DataPlaneSettings;
  fanout: { mode: FanoutMode; id?: number };
  /** Memberships (`join`), and the querier and listener tracking of outputs with forward "listeners". */
  igmp: ListenerSettings;
  control: { socket: string; mode: number; group?: string; idleTimeout: number; maxClients: number };
  /** Prometheus endpoint (`GET /metrics`); absent: none. */
  metrics?: { listen: string };
  statsInterval: number;
  logLevel: LogLevel;
  /** text (default): one readable line per event; json: one JSON object per line (time, level, msg, fields). */
  logFormat: LogFormat;
  /**
   * true: a rule whose interface does not exist waits for it (pending) instead of failing the file;
   * false (default): an unknown interface is an error, so that a typo is caught.
   */
  waitForInterfaces: boolean;
  rules: Rule[];
  /** The ids of `rules` that the file did not write and the relay generated (`rule-N`). */
  generatedIds: string[];
  /** Discovery reflectors (mDNS, SSDP, WS-Discovery), opened at start. */
  reflectors: ReflectorConfig[];
  testOnly: TestOnlySettings;
}

export const DEFAULTS = {
  workers: 1,
  fanoutMode: 'hash' as FanoutMode,
  igmpJoin: true,
  controlSocket: '/run/mcr/control.sock',
  controlMode: 0o600,
  controlIdleTimeout: 10,
  controlMaxClients: 128,
  statsInterval: 10,
  logLevel: 'info' as LogLevel,
  logFormat: 'text' as LogFormat,
  waitForInterfaces: false,
  ttl: 16,
  ttlMode: 'decrement' as TtlMode,
  maxWorkers: 64,
  batchSize: WORKER_DEFAULTS.batchSize,
  /** Each worker's receive ring per input interface (and its socket's SO_RCVBUFFORCE), bytes. */
  receiveBufferBytes: WORKER_DEFAULTS.receiveBufferBytes,
  // The data plane's own defaults: adaptive coalescing within its latency budget, no fixed window.
  // What they cost and save against socat and kernel routing is measured by `nx run bench:latency`
  // (results/latest-latency.json, README "Latency and CPU"); no figure is restated here.
  coalesceMicros: WORKER_DEFAULTS.coalesceMicros,
  latencyBudgetMicros: WORKER_DEFAULTS.latencyBudgetMicros,
  engine: 'packet' as DataPlaneEngine,
} as const;

export const FANOUT_MODES = [...NATIVE_FANOUT_MODES, 'off'] as const satisfies readonly FanoutMode[];
export const TTL_MODES = NATIVE_TTL_MODES;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const satisfies readonly LogLevel[];
export const LOG_FORMATS = ['text', 'json'] as const satisfies readonly LogFormat[];
