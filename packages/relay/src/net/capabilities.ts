import { readFileSync } from 'node:fs';

/** The capabilities the relay's features need (bit numbers from linux/capability.h). */
const KNOWN = { net_admin: 12, net_raw: 13, bpf: 39 } as const;
export type Capability = keyof typeof KNOWN;

/** Which of the capabilities the relay cares about this process holds (effective set); null if unknown. */
export function effectiveCapabilities(status = '/proc/self/status'): Set<Capability> | null {
  let text: string;
  try {
    text = readFileSync(status, 'utf8');
  } catch {
    return null;
  }
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  if (hex === undefined) return null;
  const eff = BigInt(`0x${hex}`);
  return new Set((Object.keys(KNOWN) as Capability[]).filter((c) => (eff >> BigInt(KNOWN[c])) & 1n));
}

/**
 * A hint for a failure that a missing capability explains, or '' when it does not. The data plane
 * needs CAP_NET_RAW alone (its AF_PACKET sockets); without CAP_NET_ADMIN it sizes the rings' receive
 * buffer with SO_RCVBUF instead of SO_RCVBUFFORCE, so only CAP_NET_RAW can be missing.
 */
export function capabilityHint(message: string, held: Set<Capability> | null = effectiveCapabilities()): string {
  if (!held || !/EPERM/.test(message)) return '';
  if (!held.has('net_raw')) return ' (the relay needs CAP_NET_RAW for its AF_PACKET sockets; see README "Running without root")';
  return '';
}
