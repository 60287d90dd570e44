// The protocol core of receiver-driven relaying (outputs with forward: "listeners"): IGMP/MLD codecs,
// the router-side listener table, querier election and the settings. Pure: no sockets, no clock.
export * from './listener-messages.js';
export { parseIgmp, buildIgmp, IGMPV1_MAX_RESPONSE_MS } from './igmp-codec.js';
export { parseMld, buildMld, type MldAddresses } from './mld-codec.js';
export { ListenerTable, type FilterMode, type GroupForwarding, type GroupSnapshot, type ListenerTableOptions, type ScheduledQuery } from './listener-table.js';
export { QuerierElection, type QuerierElectionOptions, type QuerierEvent, type IgnoredQuery } from './querier-election.js';
export { generalQuery, specificQuery, queryDestination } from './querier-queries.js';
export { protocolIntervals, adoptQuerierParameters, type ProtocolIntervals, type TimerSettings } from './protocol-intervals.js';
export * from './listener-settings.js';
