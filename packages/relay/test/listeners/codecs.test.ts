import { addressBytes, parseIpAddress } from '@mcr/relay-native';
import { describe, expect, it } from 'vitest';
import { decodeFloatCode, encodeFloatCode, largestFloatValue, type MantissaBits } from '../../src/listeners/float-code.js';
import { IGMPV1_MAX_RESPONSE_MS, buildIgmp, parseIgmp } from '../../src/listeners/igmp-codec.js';
import { icmpv6PseudoHeader, internetChecksum } from '../../src/listeners/internet-checksum.js';
import type { ListenerMessage } from '../../src/listeners/listener-messages.js';
import { buildMld, parseMld } from '../../src/listeners/mld-codec.js';

const MLD_ADDRESSES = { source: 'fe80::9', destination: 'ff02::16' };
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** A deterministic byte generator, so a failing case can be replayed. */
function* pseudoRandomBytes(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    yield x >>> 24;
  }
}

describe('floating-point codes (RFC 3376 §4.1.1, §4.1.7; RFC 3810 §5.1.3, §5.1.9)', () => {
  it('reads the examples: below the threshold as is, above it as mantissa and exponent', () => {
    expect(decodeFloatCode(127, 4)).toBe(127);
    expect(decodeFloatCode(0x80, 4)).toBe(128); // exp 0, mant 0: 0x10 << 3
    expect(decodeFloatCode(0xff, 4)).toBe(31744); // exp 7, mant 15: 0x1f << 10
    expect(decodeFloatCode(0x7fff, 12)).toBe(32767);
    expect(decodeFloatCode(0x8000, 12)).toBe(32768);
    expect(decodeFloatCode(0xffff, 12)).toBe(8387584);
  });
  it.each([4, 12] as MantissaBits[])('every code with %i mantissa bits survives decode -> encode', (m) => {
    for (let code = 0; code < 2 ** (m + 4); code++) expect(encodeFloatCode(decodeFloatCode(code, m), m)).toBe(code);
  });
  it('rounds values between codes down, and clamps values beyond the largest', () => {
    expect(encodeFloatCode(200, 4)).toBe(0x89);
    expect(decodeFloatCode(encodeFloatCode(201, 4), 4)).toBe(200);
    expect(encodeFloatCode(10 ** 9, 4)).toBe(0xff);
    expect(encodeFloatCode(largestFloatValue(12) + 1, 12)).toBe(0xffff);
  });
});

describe('IGMP bytes crafted by hand', () => {
  it('parses an IGMPv2 report and a v2 general query', () => {
    expect(parseIgmp(hex('1600 f9fc ef010101'))).toEqual({ ok: true, message: { kind: 'report', version: 2, group: '239.1.1.1' } });
    const query = parseIgmp(hex('1164 ee9b 00000000'));
    expect(query).toMatchObject({ ok: true, message: { kind: 'query', version: 2, group: '0.0.0.0', maxResponseMs: 10_000 } });
  });
  it('parses an IGMPv3 report with one TO_EX record', () => {
    const bytes = hex('2200 dff9 0000 0001  04 00 0001 ef010101 0a000001');
    expect(parseIgmp(bytes)).toEqual({ ok: true, message: { kind: 'records', records: [{ type: 'TO_EX', group: '239.1.1.1', sources: ['10.0.0.1'] }] } });
  });
  it('parses an IGMPv3 group-and-source query and builds the same bytes', () => {
    const bytes = hex('110a f273 ef010101 02 7d 0001 0a000001');
    const parsed = parseIgmp(bytes);
    expect(parsed).toEqual({
      ok: true,
      message: { kind: 'query', version: 3, group: '239.1.1.1', sources: ['10.0.0.1'], maxResponseMs: 1000, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 125 },
    });
    expect(parsed.ok && buildIgmp(parsed.message)).toEqual(bytes);
  });
  it('tells the query version from the length and code alone (RFC 3376 §7.1)', () => {
    const v1 = buildIgmp({ kind: 'query', version: 1, group: '0.0.0.0', sources: [], maxResponseMs: 0, suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 });
    expect(v1.length).toBe(8);
    expect(parseIgmp(v1)).toMatchObject({ ok: true, message: { version: 1, maxResponseMs: IGMPV1_MAX_RESPONSE_MS } });
  });
});

describe('MLD bytes crafted by hand', () => {
  it('parses an MLDv1 report whose checksum covers the pseudo-header', () => {
    const bytes = hex('8300 8001 0000 0000 ff0e0000000000000000000000010001');
    const addresses = { source: 'fe80::9', destination: 'ff0e::1:1' };
    expect(parseMld(bytes, addresses)).toEqual({ ok: true, message: { kind: 'report', version: 1, group: 'ff0e::1:1' } });
    expect(buildMld({ kind: 'report', version: 1, group: 'ff0e::1:1' }, addresses)).toEqual(bytes);
    // The same bytes between other addresses fail the checksum.
    expect(parseMld(bytes, MLD_ADDRESSES)).toEqual({ ok: false, error: 'ICMPv6 checksum does not match the message and its addresses' });
  });
});

const IGMP_MESSAGES: ListenerMessage[] = [
  { kind: 'query', version: 2, group: '0.0.0.0', sources: [], maxResponseMs: 10_000, suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 },
  { kind: 'query', version: 2, group: '239.1.1.1', sources: [], maxResponseMs: 1000, suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 },
  { kind: 'query', version: 3, group: '0.0.0.0', sources: [], maxResponseMs: 10_000, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 125 },
  { kind: 'query', version: 3, group: '239.1.1.1', sources: [], maxResponseMs: 100, suppressRouterProcessing: true, robustness: 7, queryIntervalSeconds: 1 },
  { kind: 'query', version: 3, group: '239.1.1.1', sources: ['10.0.0.1', '10.0.0.2'], maxResponseMs: 3_174_400, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 31744 },
  { kind: 'report', version: 1, group: '224.1.2.3' },
  { kind: 'report', version: 2, group: '239.255.0.1' },
  { kind: 'leave', version: 2, group: '239.255.0.1' },
  { kind: 'records', records: [] },
  {
    kind: 'records',
    records: [
      { type: 'IS_IN', group: '239.1.1.1', sources: ['10.0.0.1'] },
      { type: 'IS_EX', group: '239.1.1.2', sources: [] },
      { type: 'TO_IN', group: '239.1.1.3', sources: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
      { type: 'TO_EX', group: '239.1.1.4', sources: ['192.0.2.1'], auxData: Uint8Array.from([1, 2, 3, 4]) },
      { type: 'ALLOW', group: '239.1.1.5', sources: ['10.0.0.1'] },
      { type: 'BLOCK', group: '239.1.1.6', sources: ['10.0.0.9'] },
    ],
  },
];

const MLD_MESSAGES: ListenerMessage[] = [
  { kind: 'query', version: 1, group: '::', sources: [], maxResponseMs: 10_000, suppressRouterProcessing: false, robustness: 0, queryIntervalSeconds: 0 },
  { kind: 'query', version: 2, group: '::', sources: [], maxResponseMs: 10_000, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 125 },
  { kind: 'query', version: 2, group: 'ff0e::1:1', sources: ['2001:db8::1', 'fe80::1'], maxResponseMs: 100, suppressRouterProcessing: true, robustness: 3, queryIntervalSeconds: 1 },
  { kind: 'query', version: 2, group: 'ff0e::1:1', sources: [], maxResponseMs: 8_387_584, suppressRouterProcessing: false, robustness: 2, queryIntervalSeconds: 200 },
  { kind: 'report', version: 1, group: 'ff05::2' },
  { kind: 'leave', version: 1, group: 'ff05::2' },
  {
    kind: 'records',
    records: [
      { type: 'IS_EX', group: 'ff0e::1:1', sources: [] },
      { type: 'ALLOW', group: 'ff0e::1:2', sources: ['2001:db8::1', '2001:db8::2'], auxData: Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 2]) },
      { type: 'BLOCK', group: 'ff0e::1:3', sources: ['2001:db8::3'] },
    ],
  },
];

describe('round trips: build -> parse gives the message back', () => {
  it.each(IGMP_MESSAGES.map((m, i) => [i, m] as const))('IGMP message %i', (_i, message) => {
    const bytes = buildIgmp(message);
    expect(internetChecksum(bytes)).toBe(0);
    expect(parseIgmp(bytes)).toEqual({ ok: true, message });
  });
  it.each(MLD_MESSAGES.map((m, i) => [i, m] as const))('MLD message %i', (_i, message) => {
    expect(parseMld(buildMld(message, MLD_ADDRESSES), MLD_ADDRESSES)).toEqual({ ok: true, message });
  });
});

/** Stamps a correct IGMP checksum, so a malformed body is caught by its structure, not its checksum. */
function igmpWithChecksum(bytes: Buffer): Buffer {
  bytes.writeUInt16BE(0, 2);
  bytes.writeUInt16BE(internetChecksum(bytes), 2);
  return bytes;
}

describe('malformed input: an error value, never an exception', () => {
  it.each([
    ['too short', hex('1600f9fc'), 'IGMP message of 4 bytes: every IGMP message has at least 8'],
    ['a flipped bit', hex('1600 f9fc ef010100'), 'IGMP checksum does not match the message'],
    ['an unknown type', igmpWithChecksum(hex('1300 0000 ef010101')), 'IGMP type 0x13 is neither a query, a report nor a leave'],
    ['a query of 10 bytes', igmpWithChecksum(hex('1164 0000 00000000 0000')), 'IGMP query of 10 bytes: 8 (v1, v2) or at least 12 (v3)'],
    ['a v3 query announcing more sources than it has', igmpWithChecksum(hex('110a 0000 ef010101 027d 0002 0a000001')), 'IGMPv3 query of 16 bytes announces 2 sources, which need 20'],
    ['a v3 report announcing two records with one', igmpWithChecksum(hex('2200 0000 0000 0002 04000001 ef010101 0a000001')), 'IGMPv3 report: group record 2 of 2 is cut short at byte 20'],
    ['a record with an unknown type', igmpWithChecksum(hex('2200 0000 0000 0001 07000000 ef010101')), 'IGMPv3 report: group record 1 has unknown type 7'],
    ['a record whose auxiliary data runs past the end', igmpWithChecksum(hex('2200 0000 0000 0001 01010000 ef010101')), 'IGMPv3 report: group record 1 announces 0 sources and 4 bytes of auxiliary data, which need 20 bytes; the message has 16'],
  ])('IGMP: %s', (_name, bytes, error) => {
    expect(parseIgmp(bytes)).toEqual({ ok: false, error });
  });

  it('MLD: an MLD query between the v1 and v2 lengths, a short report, a non-MLD type, bad addresses', () => {
    const query25 = buildMld(MLD_MESSAGES[0]!, MLD_ADDRESSES);
    const padded = Buffer.concat([query25, Buffer.alloc(1)]);
    padded.writeUInt16BE(0, 2);
    const fixed = buildChecksummedMld(padded);
    expect(parseMld(fixed, MLD_ADDRESSES)).toEqual({ ok: false, error: 'MLD query of 25 bytes: 24 (MLDv1) or at least 28 (MLDv2)' });
    expect(parseMld(buildChecksummedMld(hex('8300 0000 0000 0000')), MLD_ADDRESSES)).toEqual({ ok: false, error: 'MLD message of type 131 has 8 bytes; it needs at least 24' });
    expect(parseMld(buildChecksummedMld(hex('8000 0000 0000 0000')), MLD_ADDRESSES)).toEqual({ ok: false, error: 'ICMPv6 type 128 is not an MLD message' });
    expect(parseMld(hex('8300 0000 0000 0000'), { source: 'nonsense', destination: 'ff02::16' })).toEqual({ ok: false, error: 'MLD addresses: "nonsense" is not an IPv6 address' });
    expect(parseMld(hex('8300'), MLD_ADDRESSES)).toEqual({ ok: false, error: 'MLD message of 2 bytes: every MLD message has at least 8' });
  });

  it('random bytes with a valid checksum never throw', () => {
    const random = pseudoRandomBytes(7);
    for (let i = 0; i < 3000; i++) {
      const length = (random.next().value as number) % 64;
      const bytes = Buffer.from(Array.from({ length }, () => random.next().value as number));
      if (length > 0) bytes[0] = [0x11, 0x12, 0x16, 0x17, 0x22, 130, 131, 132, 143][i % 9]!;
      if (length >= 4) igmpWithChecksum(bytes);
      expect(() => parseIgmp(bytes)).not.toThrow();
      expect(() => parseMld(length >= 4 ? buildChecksummedMld(bytes) : bytes, MLD_ADDRESSES)).not.toThrow();
    }
  });
});

/** Stamps the ICMPv6 checksum for MLD_ADDRESSES over bytes that are not a well-formed message. */
function buildChecksummedMld(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16BE(0, 2);
  const address = (text: string) => addressBytes(parseIpAddress(text)!);
  const header = icmpv6PseudoHeader(address(MLD_ADDRESSES.source), address(MLD_ADDRESSES.destination), copy.length);
  copy.writeUInt16BE(internetChecksum(header, copy), 2);
  return copy;
}
