import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AddressFamily } from '@mcr/relay-native';
import { createLogger } from '../../src/log.js';
import { LISTENER_LIMITS, listenerSettings } from '../../src/listeners/listener-settings.js';
import { SegmentListeners, type ListenerPacketIn, type TransportOptions } from '../../src/listeners/segment-listeners.js';
import { encode, GROUP, MLD_HOST } from './listener-fixtures.js';
import { parseIgmp } from '../../src/listeners/igmp-codec.js';
import { parseMld } from '../../src/listeners/mld-codec.js';

// The segment's wiring of bytes, clock and protocol: what arrives is parsed and handed to the table
// and the election, what they ask for is sent, timers wake them, and every change of what may be
// forwarded is announced. The socket is replaced by a recorder of what would be sent; the kernel's
// side (real sockets, real hosts) is the e2e tests' and the lab's.

/** Above HOST, so that a query from HOST wins the election. */
const OWN: Record<AddressFamily, string> = { ipv4: '10.2.0.100', ipv6: 'fe80::100' };
const HOST: Record<AddressFamily, string> = { ipv4: '10.2.0.9', ipv6: MLD_HOST.source };
const REPORT_TO: Record<AddressFamily, string> = { ipv4: '224.0.0.22', ipv6: MLD_HOST.destination };

function segment(family: AddressFamily, settings = {}, ignoreLeaves = false) {
  const sent: { destination: string; payload: Buffer }[] = [];
  let deliver: ((p: ListenerPacketIn) => void) | undefined;
  const onChange = vi.fn();
  const s = new SegmentListeners({
    interface: 'out0',
    family,
    ifindex: 3,
    ownAddress: OWN[family],
    settings: listenerSettings({ queryInterval: 2, queryResponseInterval: 1, lastMemberQueryInterval: 0.2, ...settings }),
    ignoreLeaves,
    log: createLogger('error', () => undefined),
    onChange,
    open: (o: TransportOptions) => {
      deliver = o.onPacket;
      return { send: (m) => sent.push(m), close: () => undefined };
    },
  });
  const receive = (source: string, payload: Buffer, destination = REPORT_TO[family]) => deliver!({ source, destination, payload });
  return { s, sent, onChange, receive };
}

/** A message the segment sent, parsed as a host would (MLD's checksum covers the relay's own address). */
function sentMessage(family: AddressFamily, m: { destination: string; payload: Buffer }) {
  const parsed = family === 'ipv4' ? parseIgmp(m.payload) : parseMld(m.payload, { source: OWN[family], destination: m.destination });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

const toEx = (family: AddressFamily) => encode(family, { kind: 'records', records: [{ type: 'TO_EX', group: GROUP[family], sources: [] }] });
const toIn = (family: AddressFamily) => encode(family, { kind: 'records', records: [{ type: 'TO_IN', group: GROUP[family], sources: [] }] });

describe.each(['ipv4', 'ipv6'] as const)('a segment\'s listeners (%s)', (family) => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('queries at start, learns a listener from a report, and announces the change', () => {
    const { s, sent, onChange, receive } = segment(family);
    expect(sent.map((m) => sentMessage(family, m).kind)).toEqual(['query']);
    receive(HOST[family], toEx(family));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(s.forwarding(GROUP[family])).toEqual({ mode: 'exclude', blocked: [] });
    expect(s.events).toEqual({ join: 1, leave: 0, expire: 0 });
    expect(s.rows()).toEqual([expect.objectContaining({ group: GROUP[family], source: null, mode: 'exclude', lastReporter: HOST[family] })]);
    expect(s.querier()).toMatchObject({ state: 'querier', querier: OWN[family] });
    s.close();
  });

  it('a leave brings last-member queries, then the group goes within the last member query time', () => {
    const { s, sent, receive } = segment(family);
    receive(HOST[family], toEx(family));
    sent.length = 0;
    receive(HOST[family], toIn(family));
    expect(sent.map((m) => m.destination)).toEqual([GROUP[family]]); // the group-specific query, at once
    vi.advanceTimersByTime(2 * 200 + 1);
    expect(s.forwarding(GROUP[family])).toBeNull();
    expect(s.events).toMatchObject({ join: 1, leave: 1 });
    s.close();
  });

  it('a group nobody reports for again times out (expire), at the group membership interval', () => {
    const { s, receive } = segment(family);
    receive(HOST[family], toEx(family));
    vi.advanceTimersByTime(2 * 2000 + 1000 - 10);
    expect(s.forwarding(GROUP[family])).not.toBeNull();
    vi.advanceTimersByTime(20);
    expect(s.forwarding(GROUP[family])).toBeNull();
    expect(s.events).toMatchObject({ join: 1, expire: 1 });
    s.close();
  });

  it('with testOnly.ignoreLeaves a leave changes nothing until the timer runs out', () => {
    const { s, receive } = segment(family, {}, true);
    receive(HOST[family], toEx(family));
    receive(HOST[family], toIn(family));
    vi.advanceTimersByTime(1000);
    expect(s.forwarding(GROUP[family])).not.toBeNull();
    expect(s.counters.ignored).toBe(1);
    s.close();
  });

  it('a query from a lower address silences the relay; after the other querier present interval it takes over', () => {
    const { s, sent, receive } = segment(family);
    const query = encode(family, { kind: 'query', version: family === 'ipv4' ? 3 : 2, group: family === 'ipv4' ? '0.0.0.0' : '::', sources: [], maxResponseMs: 1000, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 2 });
    receive(HOST[family], query);
    expect(s.querier()).toMatchObject({ state: 'non-querier', querier: HOST[family] });
    sent.length = 0;
    vi.advanceTimersByTime(2 * 2000 + 500 + 1);
    expect(s.querier()).toMatchObject({ state: 'querier', querier: OWN[family] });
    expect(sent.length).toBeGreaterThan(0);
    s.close();
  });

  it('a table at LISTENER_LIMITS.maxGroupsPerSegment takes no new group: the report is counted, the known groups go on', () => {
    const { s, receive } = segment(family);
    const group = (i: number) => (family === 'ipv4' ? `239.200.${i >> 8}.${i & 255}` : `ff3e::200:${i.toString(16)}`);
    const records = (from: number, n: number) =>
      encode(family, { kind: 'records', records: Array.from({ length: n }, (_, k) => ({ type: 'IS_EX' as const, group: group(from + k), sources: [] })) });
    for (let i = 0; i < LISTENER_LIMITS.maxGroupsPerSegment; i += 64) receive(HOST[family], records(i, 64));
    expect(s.groups()).toHaveLength(LISTENER_LIMITS.maxGroupsPerSegment);
    receive(HOST[family], records(LISTENER_LIMITS.maxGroupsPerSegment - 1, 2));
    expect(s.groups()).toHaveLength(LISTENER_LIMITS.maxGroupsPerSegment);
    expect(s.counters.tableFull).toBe(1);
    s.close();
  });

  it('a malformed message is counted and changes nothing', () => {
    const { s, onChange, receive } = segment(family);
    const bytes = toEx(family);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    receive(HOST[family], bytes);
    expect(s.counters.malformed).toBe(1);
    expect(onChange).not.toHaveBeenCalled();
    s.close();
  });
});
