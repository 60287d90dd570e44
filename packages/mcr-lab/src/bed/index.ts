// Test beds and trials (docs/architecture.md, "mcr-lab: test beds and trials").
export { openBed, closeAllBeds, bedPrefixes, liveBeds, onInterrupt, type Bed, type RelayName } from './bed.js';
export { normaliseBedOptions, type BedOptions } from './bed-options.js';
export { SENDER_BOUND_RATIO, RelayDeliveredNothingError, type TrialOptions, type TrialResult, type BedStreamReport } from './trial.js';
export { planRelayStreams, type RelayPlanOptions } from './streams.js';
export { McrControl, mcrEndpoint, type McrStats, type McrListener, type McrQuerier } from './mcr-control.js';
export { joinedGroups, linkPackets, rxPackets } from './procfs.js';
