// Argument checks: TypeError for a wrong type, RangeError for a value out of range. Every
// message names the argument path, the expectation and the value received.
import { ADDRESS_BITS, addressBytes, hostBitsAreZero, isMulticastAddress, parseIpAddress, type AddressFamily, type IpAddress } from './ip-address.js';
import { macToBuffer } from './ipv4.js';
import { GROUP_PREFIX_LENGTHS, NATIVE_LIMITS } from './limits.js';

/** An address with the bytes the native side takes. */
type ParsedAddress = IpAddress & { bytes: Buffer };
import type { NativeOutputSpec, NativeRuleSpec } from './native.js';
import { NATIVE_FANOUT_MODES, type FanoutMode, type OutputSpec, type RuleSpec, type TableContext, type TtlMode, type WorkerOptions } from './types.js';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be an integer, received ${show(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, received ${show(value)}`);
  }
  return value;
}

function nonEmptyString(name: string, value: unknown, maxLength = Infinity): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, received ${show(value)}`);
  if (value.length === 0 || value.length > maxLength) {
    throw new RangeError(`${name} must be a non-empty string of at most ${maxLength} characters, received ${show(value)}`);
  }
  return value;
}

function interfaceName(name: string, value: unknown): string {
  return nonEmptyString(name, value, NATIVE_LIMITS.maxInterfaceNameLength);
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, received ${show(value)}`);
  return value;
}

function mac(name: string, value: unknown): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a MAC string, received ${show(value)}`);
  const bytes = macToBuffer(value);
  if (bytes === null) throw new RangeError(`${name} must look like 'aa:bb:cc:dd:ee:ff', received ${show(value)}`);
  return bytes;
}

const FAMILY_TEXT: Record<AddressFamily, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const MULTICAST_TEXT: Record<AddressFamily, string> = { ipv4: '224.0.0.0/4', ipv6: 'ff00::/8' };

/**
 * An IPv4 or IPv6 address (IPv6 without zone index). `family`, when given, is required (a rule's
 * addresses share one family); `kind` 'multicast' requires 224.0.0.0/4 or ff00::/8.
 */
export function ipAddress(
  name: string,
  value: unknown,
  kind: 'any' | 'multicast' = 'any',
  family?: AddressFamily,
  familyOf = "the rule's group",
): ParsedAddress {
  if (typeof value !== 'string') throw new TypeError(`${name} must be an IPv4 or IPv6 address string, received ${show(value)}`);
  const address = parseIpAddress(value);
  if (address === null) {
    throw new RangeError(`${name} must be a dotted-quad IPv4 or an IPv6 address (no zone index), received ${show(value)}`);
  }
  const parsed = { ...address, bytes: addressBytes(address) };
  if (family !== undefined && parsed.family !== family) {
    throw new RangeError(`${name} must be an ${FAMILY_TEXT[family]} address like ${familyOf}, received ${show(value)}`);
  }
  if (kind === 'multicast' && !isMulticastAddress(parsed)) {
    throw new RangeError(`${name} must be a multicast address in ${MULTICAST_TEXT[parsed.family]}, received ${show(value)}`);
  }
  return parsed;
}

/** A range's prefix length for `base`: 8..32 (IPv4) or 16..128 (IPv6), host bits of base zero. */
function groupPrefixLength(name: string, value: unknown, base: ParsedAddress, baseName: string, baseText: unknown): number {
  const bits = ADDRESS_BITS[base.family];
  const length = integer(name, value, GROUP_PREFIX_LENGTHS[base.family].min, bits);
  if (!hostBitsAreZero({ base, prefixLength: length })) {
    throw new RangeError(`${baseName} must be the base of its /${length} range (host bits 0), received ${show(baseText)}`);
  }
  return length;
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, received ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function array(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array, received ${show(value)}`);
  return value;
}

/** Defaults of WorkerOptions, stated once (the relay may import them for its own config defaults). */
export const WORKER_DEFAULTS = {
  receiveBufferBytes: 8 * 1024 * 1024,
  batchSize: 64,
  coalesceMicros: 0,
  latencyBudgetMicros: 50,
} as const;

export interface NormalizedWorkerOptions {
  interface: string;
  ifindex: number;
  fanoutMode: number; // -1: none, else PACKET_FANOUT_HASH / LB / CPU
  fanoutId: number; // -1: kernel picks
  receiveBufferBytes: number;
  batchSize: number;
  coalesceMicros: number;
  latencyBudgetMicros: number;
  allMulticast: boolean;
  injectedWorkNanos: number;
  fanoutIgnoreOutgoingUnsupported: boolean;
}

/** The binding's numbers for the modes (native.ts). */
const FANOUT_MODE_NUMBERS: Record<FanoutMode, number> = { hash: 0, lb: 1, cpu: 2 };
const FANOUT_MODES_TEXT = NATIVE_FANOUT_MODES.map((m) => `'${m}'`).join(', ');

/** normalise -> default -> validate, in one step. */
export function normalizeWorkerOptions(options: unknown): NormalizedWorkerOptions {
  const o = object('options', options) as Partial<WorkerOptions>;
  const result: NormalizedWorkerOptions = {
    interface: interfaceName('options.interface', o.interface),
    ifindex: integer('options.ifindex', o.ifindex, 1, 0x7fffffff),
    fanoutMode: -1,
    fanoutId: -1,
    receiveBufferBytes: integer(
      'options.receiveBufferBytes',
      o.receiveBufferBytes ?? WORKER_DEFAULTS.receiveBufferBytes,
      NATIVE_LIMITS.minReceiveBufferBytes,
      NATIVE_LIMITS.maxReceiveBufferBytes,
    ),
    batchSize: integer('options.batchSize', o.batchSize ?? WORKER_DEFAULTS.batchSize, 1, NATIVE_LIMITS.maxBatchSize),
    coalesceMicros: integer('options.coalesceMicros', o.coalesceMicros ?? WORKER_DEFAULTS.coalesceMicros, 0, NATIVE_LIMITS.maxCoalesceMicros),
    latencyBudgetMicros: integer(
      'options.latencyBudgetMicros',
      o.latencyBudgetMicros ?? WORKER_DEFAULTS.latencyBudgetMicros,
      0,
      NATIVE_LIMITS.maxLatencyBudgetMicros,
    ),
    allMulticast: boolean('options.allMulticast', o.allMulticast ?? false),
    injectedWorkNanos: integer('options.injectedWorkNanos', o.injectedWorkNanos ?? 0, 0, NATIVE_LIMITS.maxInjectedWorkNanos),
    fanoutIgnoreOutgoingUnsupported: boolean('options.fanoutIgnoreOutgoingUnsupported', o.fanoutIgnoreOutgoingUnsupported ?? false),
  };
  if (o.fanout === undefined) {
    throw new TypeError('options.fanout must be { mode, id? } or null (null: no fanout group), received undefined');
  }
  if (o.fanout !== null) {
    const fanout = object('options.fanout', o.fanout);
    const mode = fanout.mode;
    if (typeof mode !== 'string') throw new TypeError(`options.fanout.mode must be one of ${FANOUT_MODES_TEXT}, received ${show(mode)}`);
    if (!(NATIVE_FANOUT_MODES as readonly string[]).includes(mode)) {
      throw new RangeError(`options.fanout.mode must be one of ${FANOUT_MODES_TEXT}, received ${show(mode)}`);
    }
    result.fanoutMode = FANOUT_MODE_NUMBERS[mode as FanoutMode];
    if (fanout.id !== undefined) result.fanoutId = integer('options.fanout.id', fanout.id, 0, 0xffff);
  }
  return result;
}

const TTL_MODES: Record<TtlMode, boolean> = { decrement: false, set: true };

function ttlMode(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'string') throw new TypeError(`${name} must be 'decrement' or 'set', received ${show(value)}`);
  if (!Object.hasOwn(TTL_MODES, value)) throw new RangeError(`${name} must be 'decrement' or 'set', received ${show(value)}`);
  return TTL_MODES[value as TtlMode];
}

interface RuleShape {
  family: AddressFamily;
  prefixLength: number; // ADDRESS_BITS[family]: exact
  hasPrefix: boolean; // the rule names a groupPrefixLength (the whole address length included)
}

function normalizeOutput(name: string, value: unknown, rule: RuleShape): NativeOutputSpec {
  const o = object(name, value) as Partial<OutputSpec>;
  const group = ipAddress(`${name}.group`, o.group, 'any', rule.family);
  const multicast = isMulticastAddress(group);
  let mapsRange = false;
  if (o.groupPrefixLength !== undefined) {
    if (!rule.hasPrefix) {
      throw new RangeError(`${name}.groupPrefixLength is allowed only on a range rule's output (the rule has no groupPrefixLength), received ${show(o.groupPrefixLength)}`);
    }
    if (!multicast) {
      throw new RangeError(`${name}.groupPrefixLength needs a multicast group (offset mapping), received group ${show(o.group)}`);
    }
    const length = groupPrefixLength(`${name}.groupPrefixLength`, o.groupPrefixLength, group, `${name}.group`, o.group);
    if (length !== rule.prefixLength) {
      throw new RangeError(`${name}.groupPrefixLength must equal the rule's groupPrefixLength ${rule.prefixLength} (offset mapping), received ${length}`);
    }
    // A /32 (/128) "range" maps nothing: the output's group is the destination.
    mapsRange = length < ADDRESS_BITS[rule.family];
  }
  return {
    interface: interfaceName(`${name}.interface`, o.interface),
    // 0: the interface is absent; the output keeps its place and sends nothing.
    ifindex: integer(`${name}.ifindex`, o.ifindex, 0, 0x7fffffff),
    group: group.bytes,
    multicast,
    mapsRange,
    port: integer(`${name}.port`, o.port, 1, 65535),
    ttl: integer(`${name}.ttl`, o.ttl, 1, 255),
    ttlSet: ttlMode(`${name}.ttlMode`, o.ttlMode),
    sourceAddress: ipAddress(`${name}.sourceAddress`, o.sourceAddress, 'any', rule.family).bytes,
    sourceMac: mac(`${name}.sourceMac`, o.sourceMac),
  };
}

/** Validates rules and converts them to the native shape. */
export function normalizeRules(name: string, rules: unknown): NativeRuleSpec[] {
  const list = array(name, rules);
  if (list.length > NATIVE_LIMITS.maxRulesPerTable) {
    throw new RangeError(
      `${name} must hold at most ${NATIVE_LIMITS.maxRulesPerTable} rules (NATIVE_LIMITS.maxRulesPerTable), received ${list.length}`,
    );
  }
  const ids = new Set<string>();
  const ranges = new Map<string, string>(); // (base, prefix, port, vlan, source) -> the first rule's path
  const normalized = list.map((value, i): NativeRuleSpec => {
    const at = `${name}[${i}]`;
    const r = object(at, value) as Partial<RuleSpec>;
    const id = nonEmptyString(`${at}.id`, r.id);
    if (ids.has(id)) throw new RangeError(`${at}.id must be unique, received duplicate ${show(id)}`);
    ids.add(id);
    const outputs = array(`${at}.outputs`, r.outputs);
    if (outputs.length > NATIVE_LIMITS.maxOutputsPerRule) {
      throw new RangeError(
        `${at}.outputs must hold at most ${NATIVE_LIMITS.maxOutputsPerRule} outputs (NATIVE_LIMITS.maxOutputsPerRule), received ${outputs.length}`,
      );
    }
    const group = ipAddress(`${at}.group`, r.group, 'multicast');
    const bits = ADDRESS_BITS[group.family];
    const prefixLength = r.groupPrefixLength === undefined ? bits : groupPrefixLength(`${at}.groupPrefixLength`, r.groupPrefixLength, group, `${at}.group`, r.group);
    const source = r.source === undefined ? null : ipAddress(`${at}.source`, r.source, 'any', group.family);
    const spec: NativeRuleSpec = {
      id,
      group: group.bytes,
      prefixLength,
      port: integer(`${at}.port`, r.port, 1, 65535),
      hasSource: source !== null,
      source: source?.bytes ?? Buffer.alloc(group.bytes.length),
      vlan: r.vlan === undefined ? -1 : integer(`${at}.vlan`, r.vlan, NATIVE_LIMITS.minVlanId, NATIVE_LIMITS.maxVlanId),
      maxPps: r.maxPps === undefined ? 0 : integer(`${at}.maxPps`, r.maxPps, 1, NATIVE_LIMITS.maxPps),
      outputs: outputs.map((output, k) => normalizeOutput(`${at}.outputs[${k}]`, output, { family: group.family, prefixLength, hasPrefix: r.groupPrefixLength !== undefined })),
    };
    if (prefixLength < bits) {
      // Two rules for the same range, port, VLAN and source would leave the winner to table order.
      const key = [spec.group.toString('hex'), prefixLength, spec.port, spec.vlan, spec.source.toString('hex'), spec.hasSource].join('/');
      const first = ranges.get(key);
      if (first !== undefined) {
        throw new RangeError(`${at}.groupPrefixLength: the rule repeats ${first}'s range, port, VLAN and source (ambiguous match)`);
      }
      ranges.set(key, at);
    }
    return spec;
  });
  if (ranges.size > NATIVE_LIMITS.maxRangeRulesPerTable) {
    throw new RangeError(
      `${name} must hold at most ${NATIVE_LIMITS.maxRangeRulesPerTable} range rules (NATIVE_LIMITS.maxRangeRulesPerTable), received ${ranges.size}`,
    );
  }
  return normalized;
}

/** The table context as the native side reads it: own MACs as one Buffer of 6-byte entries. */
export function normalizeTableContext(name: string, context: unknown): Buffer {
  if (context === undefined) return Buffer.alloc(0);
  const c = object(name, context) as Partial<TableContext>;
  const macs = array(`${name}.ownMacs`, c.ownMacs);
  if (macs.length > NATIVE_LIMITS.maxOwnMacs) {
    throw new RangeError(
      `${name}.ownMacs must hold at most ${NATIVE_LIMITS.maxOwnMacs} addresses (NATIVE_LIMITS.maxOwnMacs), received ${macs.length}`,
    );
  }
  return Buffer.concat(macs.map((value, i) => mac(`${name}.ownMacs[${i}]`, value)));
}
