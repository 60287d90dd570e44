import { decodeFloatCode, encodeFloatCode } from './float-code.js';
import { internetChecksum } from './internet-checksum.js';
import { parseError, type ListenerMessage, type ParseResult } from './listener-messages.js';
import { addressToBytes, buildQueryTail, buildRecordReport, parseQueryTail, parseRecords, readAddress } from './source-filter-wire.js';

// IGMP message bodies (the IPv4 payload): RFC 1112 (v1), RFC 2236 (v2), RFC 3376 (v3). The IP-level
// checks (TTL 1, Router Alert, a local source) belong to whoever read the packet.

const QUERY = 0x11;
const V1_REPORT = 0x12;
const V2_REPORT = 0x16;
const V2_LEAVE = 0x17;
const V3_REPORT = 0x22;

/** IGMPv1 queries carry no response time: RFC 1112 hosts answer within 10 s. */
export const IGMPV1_MAX_RESPONSE_MS = 10_000;

/** An IGMP message from the bytes after the IPv4 header, its checksum verified. */
export function parseIgmp(bytes: Uint8Array): ParseResult {
  if (bytes.length < 8) return parseError(`IGMP message of ${bytes.length} bytes: every IGMP message has at least 8`);
  if (internetChecksum(bytes) !== 0) return parseError('IGMP checksum does not match the message');
  const code = bytes[1]!;
  const group = readAddress(bytes, 4, 4);
  switch (bytes[0]) {
    case QUERY:
      return parseQuery(bytes, code, group);
    case V1_REPORT:
      return { ok: true, message: { kind: 'report', version: 1, group } };
    case V2_REPORT:
      return { ok: true, message: { kind: 'report', version: 2, group } };
    case V2_LEAVE:
      return { ok: true, message: { kind: 'leave', version: 2, group } };
    case V3_REPORT: {
      const records = parseRecords(bytes, 8, (bytes[6]! << 8) | bytes[7]!, 4);
      return typeof records === 'string' ? parseError(`IGMPv3 report: ${records}`) : { ok: true, message: { kind: 'records', records } };
    }
    default:
      return parseError(`IGMP type 0x${bytes[0]!.toString(16)} is neither a query, a report nor a leave`);
  }
}

/** The query's version follows from its length and code alone (RFC 3376 §7.1). */
function parseQuery(bytes: Uint8Array, code: number, group: string): ParseResult {
  const older = { group, sources: [], suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 };
  if (bytes.length === 8) {
    if (code === 0) return { ok: true, message: { kind: 'query', version: 1, maxResponseMs: IGMPV1_MAX_RESPONSE_MS, ...older } };
    return { ok: true, message: { kind: 'query', version: 2, maxResponseMs: code * 100, ...older } };
  }
  if (bytes.length < 12) return parseError(`IGMP query of ${bytes.length} bytes: 8 (v1, v2) or at least 12 (v3)`);
  const tail = parseQueryTail(bytes, 8, 4);
  if (typeof tail === 'string') return parseError(`IGMPv3 ${tail}`);
  return { ok: true, message: { kind: 'query', version: 3, group, maxResponseMs: decodeFloatCode(code, 4) * 100, ...tail } };
}

/** The bytes of an IGMP message, checksum included. */
export function buildIgmp(message: ListenerMessage): Buffer {
  const head = Buffer.alloc(8);
  let rest: Buffer = Buffer.alloc(0);
  switch (message.kind) {
    case 'query':
      head[0] = QUERY;
      if (message.version === 3) {
        head[1] = encodeFloatCode(message.maxResponseMs / 100, 4);
        rest = buildQueryTail(message, 4);
      } else if (message.version === 2) head[1] = Math.min(255, Math.max(1, Math.floor(message.maxResponseMs / 100)));
      addressToBytes(message.group, 4).copy(head, 4);
      break;
    case 'report':
      if (message.version > 2) throw new RangeError('IGMPv3 reports are built from records');
      head[0] = message.version === 1 ? V1_REPORT : V2_REPORT;
      addressToBytes(message.group, 4).copy(head, 4);
      break;
    case 'leave':
      head[0] = V2_LEAVE;
      addressToBytes(message.group, 4).copy(head, 4);
      break;
    case 'records':
      return withChecksum(buildRecordReport(V3_REPORT, message.records, 4));
  }
  return withChecksum(Buffer.concat([head, rest]));
}

function withChecksum(bytes: Buffer): Buffer {
  bytes.writeUInt16BE(internetChecksum(bytes), 2);
  return bytes;
}
