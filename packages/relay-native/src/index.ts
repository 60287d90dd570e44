// @mcr/relay-native: the relay's data plane. Thin entry point: re-exports only.
export type {
  BenchHotPathOptions,
  BenchHotPathResult,
  FanoutMode,
  IgnoreOutgoingMode,
  ListenerGate,
  ListenerMode,
  ListenerCounters,
  ListenerPacket,
  ListenerSocketOptions,
  Datagram,
  DatagramCounters,
  DatagramSocketOptions,
  OutgoingProbe,
  OutputCounters,
  OutputSpec,
  ParsedFrame,
  RuleCounters,
  RuleSpec,
  TableContext,
  TcAttachMode,
  TcCounters,
  TcEngineOptions,
  TcSupport,
  TtlMode,
  WorkerCounters,
  WorkerOptions,
} from './types.js';
export { NATIVE_FANOUT_MODES, NATIVE_LISTENER_MODES, NATIVE_TTL_MODES } from './types.js';
export { NativeError } from './errors.js';
export { GROUP_PREFIX_LENGTHS, NATIVE_LIMITS } from './limits.js';
export * from './ip-address.js';
export { formatIpv4, formatMac, isMulticast4, macToBuffer, parseIpv4, unsendableUnicast4 } from './ipv4.js';
export * from './ipv6.js';
export {
  array,
  boolean,
  describe,
  FAMILY_NAME,
  groupRangeProblem,
  integer,
  interfaceName,
  ipAddress,
  isValidInterfaceName,
  macAddress,
  multicastGroup,
  NATIVE_FIELDS,
  oneOf,
  outputList,
  text,
  WORKER_DEFAULTS,
} from './schema.js';
export { DataPlaneWorker } from './data-plane-worker.js';
export { MembershipSocket } from './membership-socket.js';
export { ListenerSocket } from './listener-socket.js';
export { DatagramSocket } from './datagram-socket.js';
export { parseFrame } from './parse-frame.js';
export { benchHotPath } from './bench-hot-path.js';
export { FileLock } from './file-lock.js';
export { TC_LIMITS, TcEngine, tcRefusal } from './tc-engine.js';
