import type { AddressFamily } from '@mcr/relay-native';
import { describe, expect, it } from 'vitest';
import { listenerSettings, type ListenerSettingsInput, type QuerierMode } from '../../src/listeners/listener-settings.js';
import type { ListenerQuery } from '../../src/listeners/listener-messages.js';
import { QuerierElection, type QuerierEvent } from '../../src/listeners/querier-election.js';
import { recordBytes, decode, describeQuery, makeTable } from './listener-fixtures.js';

// RFC 3376 §6.6.2 and RFC 3810 §7.6.2 with the RFC defaults: startup queries every 31.25 s (a quarter
// of the 125 s query interval), robustness 2 of them, then every 125 s; another querier counts as
// present for 2 x 125 + 10 / 2 = 255 s after its last query.

function election(family: AddressFamily, ownAddress: string, mode: QuerierMode = 'auto', settings: ListenerSettingsInput = {}) {
  const s = listenerSettings(settings);
  return new QuerierElection({ family, ownAddress, mode, version: family === 'ipv4' ? 3 : 2, settings: s, now: 0 });
}

/** Events as "TIMEs query", "TIMEs querier|non-querier [other]" and "TIMEs robustness R, query interval Q s". */
function describeEvents(events: QuerierEvent[] | { ignored: string }): string[] {
  if (!Array.isArray(events)) return [`ignored: ${events.ignored}`];
  return events.map((e) => {
    const at = `${e.at / 1000}s`;
    if (e.kind === 'general-query') return `${at} query`;
    if (e.kind === 'intervals') return `${at} robustness ${e.intervals.robustness}, query interval ${e.intervals.queryIntervalMs / 1000} s`;
    return `${at} ${e.querier ? 'querier' : `non-querier ${e.otherQuerier}`}`;
  });
}

/** A general query as another router sends it, with its QRV and QQI. */
function querierQuery(family: AddressFamily, robustness: number, queryIntervalSeconds: number): ListenerQuery {
  return { kind: 'query', version: family === 'ipv4' ? 3 : 2, group: family === 'ipv4' ? '0.0.0.0' : '::', sources: [], maxResponseMs: 10_000, suppressRouterProcessing: false, robustness, queryIntervalSeconds };
}

const FAMILIES = [
  { family: 'ipv4' as const, own: '192.0.2.10', lower: '192.0.2.9', higher: '192.0.2.11', foreign: 'fe80::1', version: 'v3' },
  { family: 'ipv6' as const, own: 'fe80::10', lower: 'fe80::9', higher: 'fe80::11', foreign: '192.0.2.1', version: 'v2' },
];

describe.each(FAMILIES)('querier election ($family)', ({ family, own, lower, higher, foreign }) => {
  it('starts as querier: startup queries a quarter interval apart, then one per query interval', () => {
    const e = election(family, own);
    expect(e.isQuerier).toBe(true);
    expect(describeEvents(e.advance(300_000))).toEqual(['0s query', '31.25s query', '156.25s query', '281.25s query']);
    const [first] = election(family, own).advance(0);
    expect(first).toMatchObject({ kind: 'general-query', query: { group: family === 'ipv4' ? '0.0.0.0' : '::', maxResponseMs: 10_000, robustness: 2, queryIntervalSeconds: 125 } });
  });

  it('a query from a lower address silences it; it takes over 255 s after the last one', () => {
    const e = election(family, own);
    e.advance(0);
    expect(describeEvents(e.receiveQuery(lower, 5_000))).toEqual([`5s non-querier ${lower}`]);
    expect(e.isQuerier).toBe(false);
    expect(e.presentQuerier).toBe(lower);
    expect(describeEvents(e.advance(200_000))).toEqual([]);
    expect(describeEvents(e.receiveQuery(lower, 130_000))).toEqual([]); // refreshes the other querier present timer
    expect(e.nextDeadline()).toBe(385_000);
    expect(describeEvents(e.advance(600_000))).toEqual(['385s querier', '385s query', '510s query']);
    expect(e.isQuerier).toBe(true);
    expect(e.presentQuerier).toBeNull();
  });

  it("a non-querier adopts the querier's robustness and query interval, and drops them when it takes over", () => {
    const e = election(family, own);
    e.advance(0);
    expect(describeEvents(e.receiveQuery(lower, 5_000, querierQuery(family, 3, 60)))).toEqual([`5s non-querier ${lower}`, '5s robustness 3, query interval 60 s']);
    expect(e.intervals).toMatchObject({ groupMembershipMs: 3 * 60_000 + 10_000, otherQuerierPresentMs: 3 * 60_000 + 5_000 });
    // the same values again: nothing to tell
    expect(describeEvents(e.receiveQuery(lower, 6_000, querierQuery(family, 3, 60)))).toEqual([]);
    // QRV and QQI of zero say nothing: this router's own values hold
    expect(describeEvents(e.receiveQuery(lower, 7_000, querierQuery(family, 0, 0)))).toEqual(['7s robustness 2, query interval 125 s']);
    e.receiveQuery(lower, 8_000, querierQuery(family, 3, 60));
    expect(describeEvents(e.advance(8_000 + 185_000))).toEqual(['193s querier', '193s robustness 2, query interval 125 s', '193s query']);
  });

  it('a query from a higher address changes nothing', () => {
    const e = election(family, own);
    e.advance(0);
    expect(describeEvents(e.receiveQuery(higher, 5_000))).toEqual([]);
    expect(e.isQuerier).toBe(true);
    expect(describeEvents(e.advance(31_250))).toEqual(['31.25s query']);
  });

  it('always: stays querier whoever queries; never: sends nothing', () => {
    const always = election(family, own, 'always');
    always.advance(0);
    always.receiveQuery(lower, 5_000);
    expect(always.isQuerier).toBe(true);
    const never = election(family, own, 'never');
    expect(never.isQuerier).toBe(false);
    expect(never.advance(1_000_000)).toEqual([]);
  });

  it('queries from the unspecified address or another family take no part', () => {
    const e = election(family, own);
    const unspecified = family === 'ipv4' ? '0.0.0.0' : '::';
    expect(describeEvents(e.receiveQuery(unspecified, 0))).toEqual([`ignored: query source "${unspecified}" is the unspecified address`]);
    expect(describeEvents(e.receiveQuery(foreign, 0))[0]).toMatch(/^ignored: .* is not IPv/);
    expect(e.isQuerier).toBe(true);
  });

  it('short timers: a 1 s query interval with a 0.5 s response interval', () => {
    const e = election(family, own, 'auto', { queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1 });
    expect(describeEvents(e.advance(2_000))).toEqual(['0s query', '0.25s query', '1.25s query']);
    e.receiveQuery(lower, 1_500);
    // 2 x 1 s + 0.5 s / 2
    expect(e.nextDeadline()).toBe(1_500 + 2_250);
  });
});

describe('querier election, IPv6 specifics (RFC 3810 §5.1.14, §7.6.2)', () => {
  it('compares link-local addresses numerically and ignores queries from global addresses', () => {
    const e = election('ipv6', 'fe80::1:0');
    expect(describeEvents(e.receiveQuery('2001:db8::1', 0))).toEqual(['ignored: query source "2001:db8::1" is not link-local (fe80::/10)']);
    expect(e.isQuerier).toBe(true);
    expect(describeEvents(e.receiveQuery('fe80::ffff', 0))).toEqual(['0s query', '0s non-querier fe80::ffff']);
  });
  it('refuses an own address that cannot take part', () => {
    expect(() => election('ipv6', '2001:db8::1')).toThrow('querier address "2001:db8::1" is not link-local (fe80::/10)');
    expect(() => election('ipv4', 'fe80::1')).toThrow('is not IPv4');
  });
});

describe('election and listener table together', () => {
  it('while another querier is present the table sends no last member queries; after the take-over it does', () => {
    const e = election('ipv4', '192.0.2.10');
    const table = makeTable('ipv4');
    const apply = (events: QuerierEvent[] | { ignored: string }) => {
      if (!Array.isArray(events)) return;
      for (const event of events) {
        if (event.kind === 'role') table.setQuerier(event.querier);
        if (event.kind === 'intervals') table.setIntervals(event.intervals);
      }
    };
    apply(e.advance(0));
    apply(e.receiveQuery('192.0.2.9', 1_000, querierQuery('ipv4', 3, 60)));
    table.receive(decode('ipv4', recordBytes('ipv4', 'IS_IN', ['a'])), 2_000);
    // the querier's robustness and query interval: 3 x 60 s + 10 s
    expect(table.snapshot('239.1.1.1', 2_000)?.sources).toEqual({ '10.0.0.1': 190_000 });
    expect(table.receive(decode('ipv4', recordBytes('ipv4', 'BLOCK', ['a'])), 3_000)).toEqual([]);
    apply(e.advance(186_000));
    expect(e.isQuerier).toBe(true);
    table.receive(decode('ipv4', recordBytes('ipv4', 'IS_IN', ['b'])), 187_000);
    expect(table.snapshot('239.1.1.1', 187_000)?.sources).toMatchObject({ '10.0.0.2': 260_000 });
    expect(table.receive(decode('ipv4', recordBytes('ipv4', 'BLOCK', ['b'])), 188_000).map((q) => describeQuery('ipv4', q))).toEqual(['188s v3 G[b]']);
  });
});
