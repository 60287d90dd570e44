import type { AddressFamily } from '@mcr/relay-native';
import { describe, expect, it } from 'vitest';
import { NEWEST_VERSION } from '../../src/listeners/listener-messages.js';
import { GROUP, decode, describeQuery, makeTable, source, sourceName } from './listener-fixtures.js';
import { ALL, COMPATIBILITY_ROWS, IGMPV1_ROWS, RECORD_ROWS, TIMER_ROWS, setUp, type Row } from './transition-rows.js';

function run(family: AddressFamily, row: Row) {
  const table = makeTable(family, { querier: row.querier ?? true, ...(row.version?.[family] ? { version: row.version[family] } : {}) });
  for (const step of setUp(family, row.initial)) table.receive(decode(family, step.bytes!(family)), step.at * 1000);
  const queries: string[] = [];
  let now = 0;
  for (const step of row.steps) {
    now = step.at * 1000;
    const sent = step.bytes ? table.receive(decode(family, step.bytes(family)), now) : table.advance(now);
    queries.push(...sent.map((q) => describeQuery(family, q)));
  }
  const group = GROUP[family];
  const snapshot = table.snapshot(group, now);
  const e = row.expect;
  expect(snapshot?.mode ?? null).toBe(e.mode);
  if (snapshot && e.groupTimer !== undefined) expect(snapshot.groupTimerMs === null ? null : snapshot.groupTimerMs / 1000).toBe(e.groupTimer);
  if (snapshot && e.timers) {
    const timers = Object.fromEntries(Object.entries(snapshot.sources).map(([s, ms]) => [sourceName(family, s), ms / 1000]));
    expect(timers).toEqual(e.timers);
  }
  expect(ALL.filter((n) => table.shouldForward(group, source(family, n)))).toEqual(e.forward);
  if (e.queries) {
    const newest = `v${NEWEST_VERSION[family]} `;
    const olderVersion = family === 'ipv4' ? 'v2 ' : 'v1 ';
    expect(queries).toEqual(e.queries.map((q) => q.replace('vN ', newest).replace('vO ', olderVersion)));
  }
  if (snapshot && e.compatibility !== undefined) expect(snapshot.compatibility).toBe(e.compatibility === 'newest' ? NEWEST_VERSION[family] : e.compatibility);
}

describe.each([
  ['IGMPv3', 'ipv4' as const, [...RECORD_ROWS, ...TIMER_ROWS, ...COMPATIBILITY_ROWS, ...IGMPV1_ROWS]],
  ['MLDv2', 'ipv6' as const, [...RECORD_ROWS, ...TIMER_ROWS, ...COMPATIBILITY_ROWS.map((r) => ({ ...r, expect: { ...r.expect, ...(r.expect.compatibility === 2 ? { compatibility: 1 as const } : {}) } }))]],
])('%s router-side transitions', (_name, family, rows) => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (_rowName, row) => run(family, row));
});
