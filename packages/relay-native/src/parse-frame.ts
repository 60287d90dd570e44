// parseFrame: the hot path's C++ parser, exposed for tests and fuzzing.
import { formatAddress } from './ip-address.js';
import { native } from './native.js';
import type { ParsedFrame } from './types.js';

export function parseFrame(frame: Buffer): ParsedFrame {
  if (!Buffer.isBuffer(frame)) throw new TypeError(`frame must be a Buffer, received ${typeof frame}`);
  const parsed = native.parseFrame(frame);
  switch (parsed.kind) {
    case 0:
      return {
        kind: 'udp',
        family: parsed.group?.length === 16 ? 'ipv6' : 'ipv4',
        vlan: parsed.vlan === undefined || parsed.vlan < 0 ? null : parsed.vlan,
        source: formatAddress(parsed.source ?? Buffer.alloc(4)),
        group: formatAddress(parsed.group ?? Buffer.alloc(4)),
        sourcePort: parsed.sourcePort ?? 0,
        port: parsed.port ?? 0,
        ttl: parsed.ttl ?? 0,
        payloadOffset: parsed.payloadOffset ?? 0,
        payloadLength: parsed.payloadLength ?? 0,
      };
    case 1:
      return { kind: 'fragment' };
    case 2:
      return { kind: 'not-ip' };
    case 3:
      return { kind: 'not-udp' };
    case 5:
      return { kind: 'extension-header', nextHeader: parsed.nextHeader ?? 0 };
    default:
      return { kind: 'malformed', reason: parsed.reason ?? 'unknown' };
  }
}
