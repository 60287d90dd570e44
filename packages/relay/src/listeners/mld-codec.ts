import { decodeFloatCode, encodeFloatCode } from './float-code.js';
import { icmpv6PseudoHeader, internetChecksum } from './internet-checksum.js';
import { parseError, type ListenerMessage, type ParseResult } from './listener-messages.js';
import { addressToBytes, buildQueryTail, buildRecordReport, parseQueryTail, parseRecords, readAddress } from './source-filter-wire.js';

// MLD message bodies (the ICMPv6 message): RFC 2710 (MLDv1) and RFC 3810 (MLDv2). The ICMPv6
// checksum covers a pseudo-header with the IPv6 source and destination, so both codecs take them.
// IP-level checks (hop limit 1, Router Alert, a link-local source) belong to whoever read the packet.

const QUERY = 130;
const V1_REPORT = 131;
const V1_DONE = 132;
const V2_REPORT = 143;

/** The IPv6 addresses the message travels between: its checksum covers them. */
export interface MldAddresses {
  source: string;
  destination: string;
}

function checksum(bytes: Uint8Array, addresses: MldAddresses): number {
  const header = icmpv6PseudoHeader(addressToBytes(addresses.source, 16), addressToBytes(addresses.destination, 16), bytes.length);
  return internetChecksum(header, bytes);
}

/** An MLD message from the ICMPv6 bytes, its checksum verified against `addresses`. */
export function parseMld(bytes: Uint8Array, addresses: MldAddresses): ParseResult {
  if (bytes.length < 8) return parseError(`MLD message of ${bytes.length} bytes: every MLD message has at least 8`);
  let sum: number;
  try {
    sum = checksum(bytes, addresses);
  } catch (e) {
    return parseError(`MLD addresses: ${(e as Error).message}`);
  }
  if (sum !== 0) return parseError('ICMPv6 checksum does not match the message and its addresses');
  const type = bytes[0]!;
  if (type === V2_REPORT) {
    const records = parseRecords(bytes, 8, (bytes[6]! << 8) | bytes[7]!, 16);
    return typeof records === 'string' ? parseError(`MLDv2 report: ${records}`) : { ok: true, message: { kind: 'records', records } };
  }
  if (type !== QUERY && type !== V1_REPORT && type !== V1_DONE) return parseError(`ICMPv6 type ${type} is not an MLD message`);
  if (bytes.length < 24) return parseError(`MLD message of type ${type} has ${bytes.length} bytes; it needs at least 24`);
  const group = readAddress(bytes, 8, 16);
  if (type === V1_REPORT) return { ok: true, message: { kind: 'report', version: 1, group } };
  if (type === V1_DONE) return { ok: true, message: { kind: 'leave', version: 1, group } };
  const code = (bytes[4]! << 8) | bytes[5]!;
  // RFC 3810 §8.1: 24 bytes is an MLDv1 query, 28 or more MLDv2; anything between is neither.
  if (bytes.length === 24) {
    return { ok: true, message: { kind: 'query', version: 1, group, sources: [], maxResponseMs: code, suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 } };
  }
  if (bytes.length < 28) return parseError(`MLD query of ${bytes.length} bytes: 24 (MLDv1) or at least 28 (MLDv2)`);
  const tail = parseQueryTail(bytes, 24, 16);
  if (typeof tail === 'string') return parseError(`MLDv2 ${tail}`);
  return { ok: true, message: { kind: 'query', version: 2, group, maxResponseMs: decodeFloatCode(code, 12), ...tail } };
}

/** The ICMPv6 bytes of an MLD message, checksum included (computed over `addresses`). */
export function buildMld(message: ListenerMessage, addresses: MldAddresses): Buffer {
  const head = Buffer.alloc(8);
  let rest: Buffer;
  switch (message.kind) {
    case 'query':
      head[0] = QUERY;
      if (message.version === 2) {
        head.writeUInt16BE(encodeFloatCode(message.maxResponseMs, 12), 4);
        rest = Buffer.concat([addressToBytes(message.group, 16), buildQueryTail(message, 16)]);
      } else {
        head.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.floor(message.maxResponseMs))), 4);
        rest = addressToBytes(message.group, 16);
      }
      break;
    case 'report':
    case 'leave':
      head[0] = message.kind === 'report' ? V1_REPORT : V1_DONE;
      rest = addressToBytes(message.group, 16);
      break;
    case 'records':
      rest = buildRecordReport(V2_REPORT, message.records, 16);
      return stampChecksum(rest, addresses);
  }
  return stampChecksum(Buffer.concat([head, rest]), addresses);
}

function stampChecksum(bytes: Buffer, addresses: MldAddresses): Buffer {
  bytes.writeUInt16BE(checksum(bytes, addresses), 2);
  return bytes;
}
