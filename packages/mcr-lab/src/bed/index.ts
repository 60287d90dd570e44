// Test beds and trials (docs/architecture.md, "mcr-lab: test beds and trials").
export {
  openBed,
  closeAllBeds,
  bedPrefixes,
  liveBeds,
  normaliseBedOptions,
  SENDER_BOUND_RATIO,
  type Bed,
  type BedOptions,
  type TrialOptions,
  type TrialResult,
  type BedStreamReport,
  type RelayName,
  RelayDeliveredNothingError,
} from './bed.js';
export { planRelayStreams, type RelayPlanOptions } from './streams.js';
export { McrControl, mcrEndpoint, type McrStats } from './mcr-control.js';
export { joinedGroups, linkPackets, rxPackets } from './procfs.js';
