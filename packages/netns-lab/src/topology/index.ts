export type * from './types.js';
export { BRIDGE_MCAST_TIMERS } from './types.js';
export { PREFIX_FAMILY, IFNAME_MAX, IFNAMES, checkIfname, checkPrefix, uniquePrefix, nsName } from './names.js';
export {
  chain,
  switchTopo,
  fanout,
  chain3,
  converge,
  segment,
  ring,
  segments,
  build,
  withNetem,
  BUILDERS,
  BRANCHES,
  type BaseOptions,
  type ChainOptions,
  type SwitchOptions,
  type FanoutOptions,
  type Chain3Options,
  type ConvergeOptions,
  type SegmentsOptions,
  type SegmentSnooping,
  type ReceiverVersions,
  SEGMENTS_LIMITS,
  SEGMENT_HOSTS,
} from './builders.js';
export { up, relink, awaitIpv6Ready, attach, netemArgs, qdiscArgs, netemSupported, LabInterrupted, type Lab, type UpOptions } from './realise.js';
export { FAMILIES, IPV4_PREFIX_LENGTH, IPV6_PREFIX_LENGTH, segmentAddress, endpointOn, endpointIp, checkFamily, IPV6_NAMESPACE_SYSCTLS } from './address-plan.js';
export { clean } from './clean.js';
export { awaitSnooping, SNOOPING_PROBE_GROUP, type SnoopingProbe } from './snooping.js';
export { REGISTRY_DIR, register, unregister, readEntry, listEntries, type RegistryEntry } from './registry.js';
