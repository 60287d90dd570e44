export { ConfigError, type ConfigIssue } from './config/config-error.js';
export { parseConfig, type RelayConfigFile } from './config/config-schema.js';
export { configJsonSchema } from './config/json-schema.js';
export { loadConfig } from './config/load-config.js';
export { parseRule } from './config/rule-schema.js';
export * from './config/types.js';
export { request, ControlClientError } from './control/control-client.js';
export * from './control/protocol.js';
export type { StatsReport } from './daemon/stats-report.js';
export { IgmpMemberships, IGMP_MAX_MEMBERSHIPS_DEFAULT, IPV6_MEMBERSHIPS_PER_SOCKET, REJOIN_RETRY_MS, type Membership, type IgmpCounters } from './igmp/igmp-memberships.js';
export { RuleTable } from './rules/rule-table.js';
export { RELAY_LIMITS, NATIVE_LIMITS, GROUP_PREFIX_LENGTHS } from './config/limits.js';
// Timings and formats the reference pages in docs/ state (checked there against these).
export { STATE_FILE_VERSION } from './daemon/state-file.js';
export { SOCKET_DIR_MODE } from './control/socket-path.js';
export { INTERFACE_POLL_MS } from './net/interface-watcher.js';
export { LINK_EVENT_READ_AFTER_MS } from './net/link-monitor.js';
export { METRICS_MAX_CONNECTIONS, METRICS_REQUEST_TIMEOUT_MS } from './metrics/metrics-server.js';
