import { describe, expect, it } from 'vitest';
import { buildIgmp, parseIgmp } from '../../src/listeners/igmp-codec.js';
import { listenerSettings } from '../../src/listeners/listener-settings.js';
import { buildMld, parseMld } from '../../src/listeners/mld-codec.js';
import { protocolIntervals } from '../../src/listeners/protocol-intervals.js';
import { generalQuery, queryDestination, specificQuery } from '../../src/listeners/querier-queries.js';
import { GROUP, decode, describeQuery, makeTable, recordBytes } from './listener-fixtures.js';

const DEFAULTS = protocolIntervals(listenerSettings());
const SHORT = { queryInterval: 1, queryResponseInterval: 0.5, lastMemberQueryInterval: 0.1 };

describe('the queries a querier sends', () => {
  it('an IGMPv3 general query with the RFC defaults, byte for byte', () => {
    const query = generalQuery('ipv4', 3, DEFAULTS);
    // type 0x11, Max Resp Code 100 (10 s), checksum, group 0, QRV 2, QQIC 125, no sources
    expect(buildIgmp(query).toString('hex')).toBe('1164ec1e' + '00000000' + '027d0000');
    expect(queryDestination('ipv4', query)).toBe('224.0.0.1');
  });

  it('an MLDv2 general query goes to all nodes; a specific one to its group', () => {
    const general = generalQuery('ipv6', 2, DEFAULTS);
    expect(queryDestination('ipv6', general)).toBe('ff02::1');
    const addresses = { source: 'fe80::1', destination: 'ff02::1' };
    expect(parseMld(buildMld(general, addresses), addresses)).toEqual({ ok: true, message: general });
    expect(queryDestination('ipv6', specificQuery(2, DEFAULTS, 'ff0e::1:1', [], false))).toBe('ff0e::1:1');
  });

  it('specific queries ask for answers within the last member query interval, 0.1 s included', () => {
    const short = protocolIntervals(listenerSettings(SHORT));
    const igmp = parseIgmp(buildIgmp(specificQuery(3, short, '239.1.1.1', ['10.0.0.1'], false)));
    expect(igmp).toMatchObject({ ok: true, message: { maxResponseMs: 100, queryIntervalSeconds: 1, robustness: 2, sources: ['10.0.0.1'] } });
    const v2 = parseIgmp(buildIgmp(specificQuery(2, short, '239.1.1.1', [], false)));
    expect(v2).toMatchObject({ ok: true, message: { version: 2, maxResponseMs: 100 } });
  });

  it.each(['ipv4', 'ipv6'] as const)('%s: with short timers a block is queried twice 0.1 s apart and the source gone 0.2 s after', (family) => {
    const table = makeTable(family, { settings: SHORT });
    table.receive(decode(family, recordBytes(family, 'IS_IN', ['a', 'b'])), 0);
    const sent = table.receive(decode(family, recordBytes(family, 'BLOCK', ['a'])), 1_000);
    sent.push(...table.advance(1_200));
    expect(sent.map((q) => describeQuery(family, q))).toEqual([`1s v${family === 'ipv4' ? 3 : 2} G[a]`, `1.1s v${family === 'ipv4' ? 3 : 2} G[a]`]);
    expect(table.forwarding(GROUP[family])).toEqual({ mode: 'include', sources: [family === 'ipv4' ? '10.0.0.2' : '2001:db8::2'] });
    // group membership interval 2 x 1 s + 0.5 s
    expect(table.nextDeadline()).toBe(2_500);
  });
});
