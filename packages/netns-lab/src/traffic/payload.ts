// TypeScript mirror of native/payload.hpp: the 32-byte header every lab packet starts with
// (docs/architecture.md, "netns-lab traffic tools"). Little endian throughout.
import { TOOL_LIMITS } from './tool-limits.js';

export const PAYLOAD_MAGIC = 0x4d43524c; // 'MCRL'
export const HEADER_SIZE = 32;

/**
 * UDP payload bytes (native/tool-limits.json, as mcr-send and mcr-recv have them): the least holds
 * the header and one pattern word, the most is a 9000 B jumbo MTU less 20 B of IPv4 and 8 B of UDP.
 */
export const MIN_PAYLOAD = TOOL_LIMITS.payload.min;
export const MAX_PAYLOAD = TOOL_LIMITS.payload.max;
export const DEFAULT_PAYLOAD = TOOL_LIMITS.payload.default;

/** Byte offsets of the header fields. */
export const HeaderOffset = {
  magic: 0, // u32
  stream: 4, // u32
  seq: 8, // u64
  sendNs: 16, // u64, CLOCK_MONOTONIC
  length: 24, // u32, payload length
  checksum: 28, // u32, FNV-1a over the payload with this field as 0
} as const;

/**
 * The fill after the header is sparse: one 8-byte word derived from (stream, seq, block) at the
 * start of every PATTERN_STRIDE-byte block, zeros elsewhere. The native checksum skips zero words
 * with a single multiply, which keeps FNV-1a cheap enough for ~1 Mpps (see payload.hpp).
 */
export const PATTERN_STRIDE = 256;

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

export interface PayloadHeader {
  magic: number;
  stream: number;
  seq: bigint;
  sendNs: bigint;
  length: number;
  checksum: number;
}

/** FNV-1a 32 over a payload, reading the checksum field as zero (byte by byte: for tests). */
export function fnv1a32(payload: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < payload.length; i++) {
    const inChecksum = payload.length >= HEADER_SIZE && i >= HeaderOffset.checksum && i < HeaderOffset.checksum + 4;
    h ^= inChecksum ? 0 : payload[i]!;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** Reads the header of a payload; null when it is shorter than the header. */
export function readHeader(payload: Uint8Array): PayloadHeader | null {
  if (payload.length < HEADER_SIZE) return null;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    magic: v.getUint32(HeaderOffset.magic, true),
    stream: v.getUint32(HeaderOffset.stream, true),
    seq: v.getBigUint64(HeaderOffset.seq, true),
    sendNs: v.getBigUint64(HeaderOffset.sendNs, true),
    length: v.getUint32(HeaderOffset.length, true),
    checksum: v.getUint32(HeaderOffset.checksum, true),
  };
}

/** True when magic, length and checksum hold: what mcr-recv counts as not corrupt. */
export function isValidPayload(payload: Uint8Array): boolean {
  const h = readHeader(payload);
  return h !== null && h.magic === PAYLOAD_MAGIC && h.length === payload.length && h.checksum === fnv1a32(payload);
}
