import { addressBytes, formatAddress, parseIpAddress } from '@mcr/relay-native';
import { decodeFloatCode, encodeFloatCode } from './float-code.js';
import { RECORD_TYPES, type GroupRecord, type ListenerQuery, type RecordType } from './listener-messages.js';

// The wire layouts IGMPv3 and MLDv2 share, parameterised by the address size (4 or 16 bytes): the
// tail of a query after its group address, and the group records of a report.

export type AddressSize = 4 | 16;

export function readAddress(bytes: Uint8Array, offset: number, size: AddressSize): string {
  return formatAddress(bytes.subarray(offset, offset + size));
}

/** The bytes of an address the builder was given; a wrong family is a caller's mistake, so it throws. */
export function addressToBytes(text: string, size: AddressSize): Buffer {
  const address = parseIpAddress(text);
  if (!address || (address.family === 'ipv4') !== (size === 4)) throw new RangeError(`${JSON.stringify(text)} is not an IPv${size === 4 ? 4 : 6} address`);
  return addressBytes(address);
}

export type QueryTail = Pick<ListenerQuery, 'sources' | 'suppressRouterProcessing' | 'robustness' | 'queryIntervalSeconds'>;

/** Resv|S|QRV, QQIC, Number of Sources, Source Addresses: RFC 3376 §4.1.5-4.1.9, RFC 3810 §5.1.7-5.1.11. */
export function parseQueryTail(bytes: Uint8Array, offset: number, size: AddressSize): QueryTail | string {
  if (bytes.length < offset + 4) return `query of ${bytes.length} bytes: its source count would end at ${offset + 4}`;
  const flags = bytes[offset]!;
  const count = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  const end = offset + 4 + count * size;
  if (bytes.length < end) return `query of ${bytes.length} bytes announces ${count} sources, which need ${end}`;
  const sources: string[] = [];
  for (let at = offset + 4; at < end; at += size) sources.push(readAddress(bytes, at, size));
  return {
    sources,
    suppressRouterProcessing: (flags & 0x08) !== 0,
    robustness: flags & 0x07,
    queryIntervalSeconds: decodeFloatCode(bytes[offset + 1]!, 4),
  };
}

export function buildQueryTail(query: QueryTail, size: AddressSize): Buffer {
  const head = Buffer.alloc(4);
  head[0] = (query.suppressRouterProcessing ? 0x08 : 0) | (query.robustness <= 7 ? query.robustness : 0);
  head[1] = encodeFloatCode(query.queryIntervalSeconds, 4);
  head.writeUInt16BE(query.sources.length, 2);
  return Buffer.concat([head, ...query.sources.map((s) => addressToBytes(s, size))]);
}

const TYPE_OF_CODE = new Map<number, RecordType>(Object.entries(RECORD_TYPES).map(([type, code]) => [code, type as RecordType]));

/** `count` group records from `offset` (RFC 3376 §4.2.4, RFC 3810 §5.2.4). */
export function parseRecords(bytes: Uint8Array, offset: number, count: number, size: AddressSize): GroupRecord[] | string {
  const records: GroupRecord[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (bytes.length < at + 4 + size) return `group record ${i + 1} of ${count} is cut short at byte ${bytes.length}`;
    const type = TYPE_OF_CODE.get(bytes[at]!);
    if (!type) return `group record ${i + 1} has unknown type ${bytes[at]}`;
    const auxBytes = bytes[at + 1]! * 4;
    const sourceCount = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const sourcesAt = at + 4 + size;
    const end = sourcesAt + sourceCount * size + auxBytes;
    if (bytes.length < end) return `group record ${i + 1} announces ${sourceCount} sources and ${auxBytes} bytes of auxiliary data, which need ${end} bytes; the message has ${bytes.length}`;
    const sources: string[] = [];
    for (let s = sourcesAt; s < sourcesAt + sourceCount * size; s += size) sources.push(readAddress(bytes, s, size));
    const record: GroupRecord = { type, group: readAddress(bytes, at + 4, size), sources };
    if (auxBytes > 0) record.auxData = Uint8Array.from(bytes.subarray(end - auxBytes, end));
    records.push(record);
    at = end;
  }
  return records;
}

export function buildRecords(records: readonly GroupRecord[], size: AddressSize): Buffer {
  return Buffer.concat(
    records.flatMap((record) => {
      const aux = record.auxData ?? new Uint8Array(0);
      if (aux.length % 4 !== 0 || aux.length > 255 * 4) throw new RangeError(`auxiliary data must be whole 32-bit words, at most 255; got ${aux.length} bytes`);
      const head = Buffer.alloc(4);
      head[0] = RECORD_TYPES[record.type];
      head[1] = aux.length / 4;
      head.writeUInt16BE(record.sources.length, 2);
      return [head, addressToBytes(record.group, size), ...record.sources.map((s) => addressToBytes(s, size)), aux];
    }),
  );
}

/** An IGMPv3 or MLDv2 report (RFC 3376 §4.2, RFC 3810 §5.2): the 8-byte header, checksum left 0, then the records. */
export function buildRecordReport(type: number, records: readonly GroupRecord[], size: AddressSize): Buffer {
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt16BE(records.length, 6);
  return Buffer.concat([head, buildRecords(records, size)]);
}
