// The reference pages in docs/ state some of the relay's constants in their prose; this checks each
// against the code, so a constant that changes fails here until the page says the new value. (The
// config fields and limits tables are generated instead: packages/bench's readme check.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config/types.js';
import { ERROR_CODES, MAX_MESSAGE_BYTES, MAX_REQUESTS_IN_FLIGHT } from '../src/control/protocol.js';
import { PENDING_RETRY_MS } from '../src/daemon/relay.js';
import { METRICS_MAX_CONNECTIONS, METRICS_REQUEST_TIMEOUT_MS } from '../src/metrics/metrics-server.js';
import { CRASH_LOOP } from '../src/workers/restart-policy.js';
import { TABLE_ANSWER_TIMEOUT_MS } from '../src/workers/worker-pool.js';

const page = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', name), 'utf8').replace(/\s+/g, ' ');
const seconds = (ms: number) => `${ms / 1000} s`;

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

  it('negative control: a changed constant is caught', () => {
    expect(page('control.md')).not.toContain(`At most ${MAX_REQUESTS_IN_FLIGHT + 1} requests`);
  });
});
