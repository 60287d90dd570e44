import type { AddressFamily } from '@mcr/relay-native';
import { buildIgmp, parseIgmp } from '../../src/listeners/igmp-codec.js';
import type { ListenerMessage, ListenerVersion, RecordType } from '../../src/listeners/listener-messages.js';
import { listenerSettings, type ListenerSettingsInput } from '../../src/listeners/listener-settings.js';
import { ListenerTable, type ScheduledQuery } from '../../src/listeners/listener-table.js';
import { buildMld, parseMld } from '../../src/listeners/mld-codec.js';
import { protocolIntervals } from '../../src/listeners/protocol-intervals.js';

// Addresses by short name for either family, so one table of transitions runs over IGMP and MLD, and
// the path a message takes in the relay: built to bytes, parsed back, then handed to the table.

export type SourceName = 'a' | 'b' | 'c' | 'd' | 'e' | 'z';
export const SOURCE_NAMES: SourceName[] = ['a', 'b', 'c', 'd', 'e', 'z'];

const SOURCES: Record<AddressFamily, Record<SourceName, string>> = {
  ipv4: { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4', e: '10.0.0.5', z: '10.0.0.99' },
  ipv6: { a: '2001:db8::1', b: '2001:db8::2', c: '2001:db8::3', d: '2001:db8::4', e: '2001:db8::5', z: '2001:db8::99' },
};
export const GROUP: Record<AddressFamily, string> = { ipv4: '239.1.1.1', ipv6: 'ff0e::1:1' };
/** A host's link-local address and the MLDv2 reports' destination (all MLDv2-capable routers). */
export const MLD_HOST = { source: 'fe80::9', destination: 'ff02::16' };

export const source = (family: AddressFamily, name: SourceName): string => SOURCES[family][name];
export function sourceName(family: AddressFamily, address: string): string {
  return SOURCE_NAMES.find((n) => SOURCES[family][n] === address) ?? address;
}

export function encode(family: AddressFamily, message: ListenerMessage): Buffer {
  return family === 'ipv4' ? buildIgmp(message) : buildMld(message, MLD_HOST);
}

/** Bytes as the relay would receive them, parsed; a parse failure fails the test. */
export function decode(family: AddressFamily, bytes: Uint8Array): ListenerMessage {
  const parsed = family === 'ipv4' ? parseIgmp(bytes) : parseMld(bytes, MLD_HOST);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

export function recordBytes(family: AddressFamily, type: RecordType, names: SourceName[]): Buffer {
  return encode(family, { kind: 'records', records: [{ type, group: GROUP[family], sources: names.map((n) => source(family, n)) }] });
}

/** The settings every table test uses unless it says otherwise: the RFC defaults (GMI 260 s, LMQT 2 s). */
export function makeTable(family: AddressFamily, options: { querier?: boolean; version?: ListenerVersion; settings?: ListenerSettingsInput } = {}): ListenerTable {
  const settings = listenerSettings(options.settings);
  const version = options.version ?? ((family === 'ipv4' ? settings.igmpVersion : settings.mldVersion) as ListenerVersion);
  return new ListenerTable({ family, version, intervals: protocolIntervals(settings), querier: options.querier ?? true });
}

/** A query as one line: "10s v3 G[a,b] S" (time, version, group-specific with sources, S flag). */
export function describeQuery(family: AddressFamily, { at, query }: ScheduledQuery): string {
  const target = query.group === GROUP[family] ? 'G' : query.group;
  const sources = query.sources.length === 0 ? '' : `[${query.sources.map((s) => sourceName(family, s)).sort().join(',')}]`;
  return `${at / 1000}s v${query.version} ${target}${sources}${query.suppressRouterProcessing ? ' S' : ''}`;
}
