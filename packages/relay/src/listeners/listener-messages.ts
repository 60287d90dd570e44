import type { AddressFamily } from '@mcr/relay-native';

// The messages of IGMP (IPv4) and MLD (IPv6) as one model: both protocols carry the same queries,
// older-version reports and leaves, and source-filter records (IGMPv3 and MLDv2 share the record
// format but for the address size). Addresses are canonical text, as everywhere in the relay.

/** IGMP versions 1..3 for IPv4; MLD versions 1..2 for IPv6 (MLDv1 is IGMPv2's twin, MLDv2 IGMPv3's). */
export type ListenerVersion = 1 | 2 | 3;

/** The newest version of each family: the one whose records carry source filters. */
export const NEWEST_VERSION: Record<AddressFamily, ListenerVersion> = { ipv4: 3, ipv6: 2 };

/** Group record types (RFC 3376 §4.2.12, RFC 3810 §5.2.12), with their wire codes. */
export const RECORD_TYPES = { IS_IN: 1, IS_EX: 2, TO_IN: 3, TO_EX: 4, ALLOW: 5, BLOCK: 6 } as const;
export type RecordType = keyof typeof RECORD_TYPES;

export interface GroupRecord {
  type: RecordType;
  group: string;
  sources: string[];
  /** Auxiliary data (no version defines any; receivers ignore it), kept so a record round-trips. */
  auxData?: Uint8Array;
}

export interface ListenerQuery {
  kind: 'query';
  version: ListenerVersion;
  /** The unspecified address (0.0.0.0 or ::) in a general query. */
  group: string;
  /** Group-and-source-specific queries only (newest version). */
  sources: string[];
  /** How long hosts may wait before answering. IGMPv1 queries carry none: hosts wait up to 10 s. */
  maxResponseMs: number;
  /** The S flag: routers receiving the query do not lower their timers (newest version only). */
  suppressRouterProcessing: boolean;
  /** QRV: the querier's robustness, 0 when above 7 or absent (older versions). */
  robustness: number;
  /** QQI in seconds: the querier's query interval, 0 when absent (older versions). */
  queryIntervalSeconds: number;
}

/** An older-version membership report: IGMPv1/v2 or MLDv1. */
export interface OlderReport {
  kind: 'report';
  version: ListenerVersion;
  group: string;
}

/** IGMPv2 Leave Group or MLDv1 Done. */
export interface OlderLeave {
  kind: 'leave';
  version: ListenerVersion;
  group: string;
}

/** An IGMPv3 or MLDv2 report: group records with source lists. */
export interface RecordReport {
  kind: 'records';
  records: GroupRecord[];
}

export type ListenerMessage = ListenerQuery | OlderReport | OlderLeave | RecordReport;

/** What a parser returns: the message, or why the bytes are not one (it never throws). */
export type ParseResult = { ok: true; message: ListenerMessage } | { ok: false; error: string };

export const parseError = (error: string): ParseResult => ({ ok: false, error });

/** The group of a general query: the unspecified address. */
export const UNSPECIFIED: Record<AddressFamily, string> = { ipv4: '0.0.0.0', ipv6: '::' };

export function isGeneralQuery(query: ListenerQuery): boolean {
  return query.group === UNSPECIFIED.ipv4 || query.group === UNSPECIFIED.ipv6;
}
