// The reference pages in docs/ and the README state the relay's constants in their prose; this checks
// each against the code (the data plane's C++ constants against their headers), so a constant that
// changes fails here until the page says the new value. (The config fields and limits tables are
// generated instead: packages/bench's readme check.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config/types.js';
import { ERROR_CODES, MAX_MESSAGE_BYTES, MAX_REQUESTS_IN_FLIGHT } from '../src/control/protocol.js';
import { PENDING_RETRY_MS } from '../src/daemon/relay.js';
import { METRICS_MAX_CONNECTIONS, METRICS_REQUEST_TIMEOUT_MS } from '../src/metrics/metrics-server.js';
import { CRASH_LOOP } from '../src/workers/restart-policy.js';
import { TABLE_ANSWER_TIMEOUT_MS } from '../src/workers/worker-pool.js';
import {
  GROUP_PREFIX_LENGTHS,
  IGMP_MAX_MEMBERSHIPS_DEFAULT,
  INTERFACE_POLL_MS,
  IPV6_MEMBERSHIPS_PER_SOCKET,
  LINK_EVENT_READ_AFTER_MS,
  NATIVE_LIMITS,
  PROTOCOL_VERSION,
  RELAY_LIMITS,
  REJOIN_RETRY_MS,
  SOCKET_DIR_MODE,
  STATE_FILE_VERSION,
} from '../src/index.js';
import { WORKER_DEFAULTS } from '@mcr/relay-native';
import { USAGE_EXIT_CODE } from '@mcr/cli-kit';
import { BULK_RULE_ADDS, MANY_GROUPS, METRICS_CUT_WITHIN_MS } from './e2e/documented-bounds.js';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** A page of docs/ (or the README, as `../README.md`) with every run of white space made one space. */
const page = (name: string) => read(join('docs', name)).replace(/\s+/g, ' ');
const seconds = (ms: number) => `${ms / 1000} s`;
/** `once a second` for 1000 ms: how the pages say a period. */
const period = (ms: number) => (ms === 1000 ? 'a second' : `every ${seconds(ms)}`);
const octal = (mode: number) => mode.toString(8).padStart(4, '0');
/** A constant of the data plane's C++ source: `NAME = VALUE;` (digit separators and a `.0` allowed). */
function nativeConstant(header: string, name: string): number {
  const m = new RegExp(`\\b${name}\\s*=\\s*([0-9']+(?:\\.[0-9]+)?)`).exec(read(`packages/relay-native/src/${header}`));
  if (!m) throw new Error(`packages/relay-native/src/${header}: no constant ${name}`);
  return Number(m[1]!.replace(/'/g, ''));
}
// Written `kBulkRatePerNs = PPS / 1e9`: the figure before the division is the rate in packets per second.
const bulkRatePps = nativeConstant('pacing.hpp', 'kBulkRatePerNs');
const bulkWindowMicros = nativeConstant('pacing.hpp', 'kBulkWindowNs') / 1000;
const filterGroups = nativeConstant('ingress_filter.hpp', 'kMaxExactFilterKeys');
const optionHeaders = nativeConstant('frame_parser.hpp', 'kMaxIpv6OptionHeaders');
/** A rule's token bucket holds maxPps / N frames (BurstCredit, rule_table.hpp): 1000 / N ms at the rate. */
const burstDivisor = Number(/burst = maxPps \/ (\d+);/.exec(read('packages/relay-native/src/rule_table.hpp'))?.[1]);
const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
/** The short fuzz run of every test run, from its test (`-max_total_time=N`). */
const fuzzSeconds = Number(/-max_total_time=(\d+)/.exec(read('packages/relay-native/test/fuzz.test.ts'))?.[1]);
const idle = DEFAULTS.controlIdleTimeout;
/** The systemd unit's `RestartPreventExitStatus`: the relay's exit status for a configuration it refuses. */
const noRestartStatus = Number(/^RestartPreventExitStatus=(\d+)$/m.exec(read('packaging/mcr.service'))?.[1]);

/** [page, phrase the page must contain, made from the code's value]. */
const STATEMENTS: [string, string][] = [
  ['control.md', `a line over ${MAX_MESSAGE_BYTES / 1024} KiB`],
  ['control.md', `At most ${MAX_REQUESTS_IN_FLIGHT} requests`],
  ['control.md', `about ${MAX_MESSAGE_BYTES / 1024} KiB of them`],
  ['control.md', `nothing sent for ${DEFAULTS.controlIdleTimeout} s`],
  ['control.md', `did not answer within ${seconds(TABLE_ANSWER_TIMEOUT_MS)}`],
  ['faults-and-limits.md', `dies ${CRASH_LOOP.deaths} times within ${seconds(CRASH_LOOP.windowMs)}`],
  ['faults-and-limits.md', `retried once every ${seconds(CRASH_LOOP.retryMs)}`],
  ['faults-and-limits.md', `does not answer within ${seconds(TABLE_ANSWER_TIMEOUT_MS)}`],
  ['faults-and-limits.md', `\`control.maxClients\` (${DEFAULTS.controlMaxClients})`],
  ['operations.md', `at most ${METRICS_MAX_CONNECTIONS} connections`],
  ['operations.md', `has ${seconds(METRICS_REQUEST_TIMEOUT_MS)} to send its whole request`],
  ['operations.md', `tried again after ${seconds(PENDING_RETRY_MS)}`],
  ['../README.md', `(default \`$MCR_CONTROL\` or \`${DEFAULTS.controlSocket}\`)`],
  ['../README.md', `${USAGE_EXIT_CODE} usage or configuration error`],
  ['operations.md', `\`RestartPreventExitStatus=${noRestartStatus}\` (a configuration the relay refuses`],
  ['control.md', `# The control protocol (v${PROTOCOL_VERSION})`],
  ['control.md', `(mode ${octal(DEFAULTS.controlMode)} by default`],
  ['control.md', `with up to ${filterGroups} distinct input groups, only those groups`],
  ['control.md', `\`control.idleTimeout\` (${idle} s)`],
  ['control.md', `a client sending a byte every ${idle - 1} s loses its slot after ${idle} s`],
  ['control.md', `(created ${octal(SOCKET_DIR_MODE)} when missing)`],
  ['operations.md', `(\`{"v":${STATE_FILE_VERSION},"rules":[...]}\`)`],
  ['operations.md', `Every interface watcher poll (once ${period(INTERFACE_POLL_MS)}`],
  ['operations.md', `or is closed unanswered when all ${METRICS_MAX_CONNECTIONS} are`],
  ['operations.md', `is closed after ${seconds(METRICS_REQUEST_TIMEOUT_MS)} without a byte`],
  ['how-it-works.md', `at most \`RELAY_LIMITS.maxJoinedGroupsPerRange\` (${RELAY_LIMITS.maxJoinedGroupsPerRange})`],
  ['how-it-works.md', `\`net.ipv4.igmp_max_memberships\` (default ${IGMP_MAX_MEMBERSHIPS_DEFAULT}) for IPv4, ${IPV6_MEMBERSHIPS_PER_SOCKET} per socket for IPv6`],
  ['faults-and-limits.md', `a rule with ${NATIVE_LIMITS.maxOutputsPerRule + 1} outputs`],
  ['faults-and-limits.md', `read the interfaces it uses ${LINK_EVENT_READ_AFTER_MS[0]} ms and ${LINK_EVENT_READ_AFTER_MS[1]} ms later; sysfs is also read once ${period(INTERFACE_POLL_MS)}`],
  ['faults-and-limits.md', `(\`control.idleTimeout\`, ${idle} s)`],
  ['faults-and-limits.md', `retried every ${REJOIN_RETRY_MS === 1000 ? 'second' : seconds(REJOIN_RETRY_MS)}`],
  ['faults-and-limits.md', `(\`packages/relay-native/fuzz\`; ${fuzzSeconds} s in every test run)`],
  ['faults-and-limits.md', `Tested: ${BULK_RULE_ADDS.rules} rules added one at a time, ${BULK_RULE_ADDS.quantile * 100} % of the adds costing the supervisor at most ${BULK_RULE_ADDS.maxCpuMs} ms of CPU`],
  ['how-it-works.md', `${MANY_GROUPS} groups of either family on one interface join as is`],
  ['config.md', `\`testOnly.injectedWorkNanos\` (0..${NATIVE_LIMITS.maxInjectedWorkNanos})`],
  ['config.md', `at bulk rates (${bulkRatePps / 1000} kpps and more) it waits ${bulkWindowMicros} us`],
  ['config.md', `latency budget ${WORKER_DEFAULTS.latencyBudgetMicros} us\``],
  ['config.md', `(IPv4 /${GROUP_PREFIX_LENGTHS.ipv4.min}../${GROUP_PREFIX_LENGTHS.ipv4.max}, IPv6 /${GROUP_PREFIX_LENGTHS.ipv6.min}../${GROUP_PREFIX_LENGTHS.ipv6.max};`],
  ['config.md', `a range of more than ${RELAY_LIMITS.maxJoinedGroupsPerRange} groups (\`RELAY_LIMITS.maxJoinedGroupsPerRange\`)`],
  ['architecture.md', `${GROUP_PREFIX_LENGTHS.ipv4.min}..${GROUP_PREFIX_LENGTHS.ipv4.max} (IPv4) / ${GROUP_PREFIX_LENGTHS.ipv6.min}..${GROUP_PREFIX_LENGTHS.ipv6.max} (IPv6): every destination`],
  ['architecture.md', `vlan?: number; // ${NATIVE_LIMITS.minVlanId}..${NATIVE_LIMITS.maxVlanId}.`],
  ['architecture.md', `(burst max(1, maxPps/${burstDivisor}) frames = ${1000 / burstDivisor} ms)`],
  ['architecture.md', `receiveBufferBytes?: number; // default ${mib(WORKER_DEFAULTS.receiveBufferBytes)},`],
  ['architecture.md', `batchSize?: number; // default ${WORKER_DEFAULTS.batchSize}, at most`],
  ['architecture.md', `coalesceMicros?: number; // default ${WORKER_DEFAULTS.coalesceMicros}.`],
  ['architecture.md', `latencyBudgetMicros?: number; // default WORKER_DEFAULTS (${WORKER_DEFAULTS.latencyBudgetMicros}),`],
  ['architecture.md', `Destination Options headers are walked, at most ${optionHeaders};`],
  ['architecture.md', `(ipv4: igmp_max_memberships; ipv6: ${IPV6_MEMBERSHIPS_PER_SOCKET}, below optmem_max)`],
  ['architecture.md', `concurrent scrapes share one snapshot; ${METRICS_MAX_CONNECTIONS} connections,`],
  ['architecture.md', `idle and slow ones cut within ${seconds(METRICS_CUT_WITHIN_MS)})`],
  ['architecture.md', `InterfaceWatcher.pollNow() at ${LINK_EVENT_READ_AFTER_MS.map((ms) => `+${ms}`).join('/')} ms`],
  ['architecture.md', `also once ${period(INTERFACE_POLL_MS)} (backstop)`],
  ['architecture.md', `\`reload\` (control v${PROTOCOL_VERSION} command`],
  ['architecture.md', `the command's help, exit ${USAGE_EXIT_CODE})`],
  ['config.md', `must be ${NATIVE_LIMITS.minVlanId}..${NATIVE_LIMITS.maxVlanId}, got ${NATIVE_LIMITS.maxVlanId + 1}`],
];

describe('docs/ state the relay\'s constants as the code has them', () => {
  it.each(STATEMENTS)('%s says "%s"', (name, phrase) => {
    expect(page(name)).toContain(phrase);
  });

  it('docs/control.md names every error code the protocol has, and no other', () => {
    const text = page('control.md');
    for (const code of ERROR_CODES) expect(text).toContain(`\`${code}\``);
    const named = new Set([...text.matchAll(/`(E[A-Z]{3,})`/g)].map((m) => m[1]));
    expect([...named].filter((c) => !(ERROR_CODES as readonly string[]).includes(c!))).toEqual([]);
  });

  it('docs/architecture.md names every data plane limit (their values are the generated table)', () => {
    const block = /export const NATIVE_LIMITS: \{([^}]*)\};/.exec(page('architecture.md'))?.[1] ?? '';
    expect(block.split(',').map((k) => k.trim()).filter(Boolean)).toEqual(Object.keys(NATIVE_LIMITS));
  });

  it('reads the bulk rate of the pacing header in packets per second', () => {
    expect(read('packages/relay-native/src/pacing.hpp')).toMatch(/kBulkRatePerNs = [0-9']+\.0 \/ 1e9;/);
  });

  it('negative control: a changed constant is caught', () => {
    expect(page('control.md')).not.toContain(`At most ${MAX_REQUESTS_IN_FLIGHT + 1} requests`);
  });
});
