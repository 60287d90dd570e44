// parseFrame: the hot path's C++ parser, exposed for tests and fuzzing.
import { numberToIpv4 } from './ipv4.js';
import { native } from './native.js';
import type { ParsedFrame } from './types.js';

export function parseFrame(frame: Buffer): ParsedFrame {
  if (!Buffer.isBuffer(frame)) throw new TypeError(`frame must be a Buffer, received ${typeof frame}`);
  const parsed = native.parseFrame(frame);
  switch (parsed.kind) {
    case 0:
      return {
        kind: 'udp',
        vlan: parsed.vlan === undefined || parsed.vlan < 0 ? null : parsed.vlan,
        source: numberToIpv4(parsed.source ?? 0),
        group: numberToIpv4(parsed.group ?? 0),
        sourcePort: parsed.sourcePort ?? 0,
        port: parsed.port ?? 0,
        ttl: parsed.ttl ?? 0,
        payloadOffset: parsed.payloadOffset ?? 0,
        payloadLength: parsed.payloadLength ?? 0,
      };
    case 1:
      return { kind: 'fragment' };
    case 2:
      return { kind: 'not-ipv4' };
    case 3:
      return { kind: 'not-udp' };
    default:
      return { kind: 'malformed', reason: parsed.reason ?? 'unknown' };
  }
}
