// Naming rules. Namespace names have no length limit, but interface names do (IFNAMSIZ - 1 = 15),
// and every lab prefix starts with one fixed family string so `clean()` can remove our leftovers
// without ever touching namespaces that belong to anybody else.
import { randomBytes } from 'node:crypto';

/** Every lab prefix starts with this; `clean()` only ever touches namespaces starting with it. */
export const PREFIX_FAMILY = 'mcrl';
export const IFNAME_MAX = 15;

/** Fixed per-role interface names: short, so the 15-character limit can never bite. */
export const IFNAMES = {
  source: 'eth0',
  sink: 'eth0',
  relayInput: (i: number) => `in${i}`,
  relayOutput: (k: number) => `out${k}`,
  bridge: 'br0',
  switchSourcePort: 'p-src',
  switchRelayPort: 'p-rly',
  /** Bridge ports of the loop topologies (`segment`, `ring`), named after what they face. */
  bridgePort: (facing: string) => `p-${facing}`,
  /** The second bridge of `ring`. */
  secondBridge: 'br1',
  /** The bridge of output segment k in `segments`, and its ports (`p<k>-rly`, `p<k>-obs`, `p<k>-r<j>`). */
  segmentBridge: (k: number) => `br${k}`,
  segmentPort: (k: number, member: string) => `p${k}-${member}`,
} as const;

export function checkIfname(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.length > IFNAME_MAX) {
    throw new RangeError(`interface name must be 1..${IFNAME_MAX} characters of [A-Za-z0-9_.-], received ${JSON.stringify(name)}`);
  }
  return name;
}

export function checkPrefix(prefix: string): string {
  if (!prefix.startsWith(PREFIX_FAMILY) || !/^[a-z0-9]{1,24}$/.test(prefix)) {
    throw new RangeError(
      `prefix must start with "${PREFIX_FAMILY}" and be [a-z0-9], at most 24 characters, received ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** `mcrl` + 6 random hex digits, e.g. `mcrl3fa91c`. */
export function uniquePrefix(): string {
  return PREFIX_FAMILY + randomBytes(3).toString('hex');
}

/**
 * Namespace names: `${prefix}-src`, `${prefix}-rly`, `${prefix}-snk`, with an index when there are
 * several; `segments` adds observers `-obs<k>` and receivers `-rcv<k>-<j>` (segment k, receiver j).
 */
export const nsName = (prefix: string, role: 'src' | 'rly' | 'snk' | 'sw' | 'obs' | 'rcv', index?: number | string) =>
  `${prefix}-${role}${index === undefined ? '' : index}`;
