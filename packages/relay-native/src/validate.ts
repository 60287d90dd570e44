// Argument checks: TypeError for a wrong type, RangeError for a value out of range. Every
// message names the argument path, the expectation and the value received.
import { ipv4ToNumber, isMulticast, macToBuffer } from './ipv4.js';
import { NATIVE_LIMITS } from './limits.js';
import type { NativeOutputSpec, NativeRuleSpec } from './native.js';
import type { FanoutMode, OutputSpec, RuleSpec, TableContext, TtlMode, WorkerOptions } from './types.js';

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

export function ipv4(name: string, value: unknown, kind: 'any' | 'multicast' = 'any'): number {
  if (typeof value !== 'string') throw new TypeError(`${name} must be an IPv4 address string, received ${show(value)}`);
  const parsed = ipv4ToNumber(value);
  if (parsed === null) throw new RangeError(`${name} must be a dotted-quad IPv4 address, received ${show(value)}`);
  if (kind === 'multicast' && !isMulticast(parsed)) {
    throw new RangeError(`${name} must be a multicast address in 224.0.0.0/4, received ${show(value)}`);
  }
  return parsed;
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
}

const FANOUT_MODES: Record<FanoutMode, number> = { hash: 0, lb: 1, cpu: 2 };

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
  };
  if (o.fanout === undefined) {
    throw new TypeError('options.fanout must be { mode, id? } or null (null: no fanout group), received undefined');
  }
  if (o.fanout !== null) {
    const fanout = object('options.fanout', o.fanout);
    const mode = fanout.mode;
    if (typeof mode !== 'string') throw new TypeError(`options.fanout.mode must be 'hash', 'cpu' or 'lb', received ${show(mode)}`);
    if (!Object.hasOwn(FANOUT_MODES, mode)) {
      throw new RangeError(`options.fanout.mode must be 'hash', 'cpu' or 'lb', received ${show(mode)}`);
    }
    result.fanoutMode = FANOUT_MODES[mode as FanoutMode];
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

function normalizeOutput(name: string, value: unknown): NativeOutputSpec {
  const o = object(name, value) as Partial<OutputSpec>;
  return {
    interface: interfaceName(`${name}.interface`, o.interface),
    // 0: the interface is absent; the output keeps its place and sends nothing.
    ifindex: integer(`${name}.ifindex`, o.ifindex, 0, 0x7fffffff),
    group: ipv4(`${name}.group`, o.group),
    port: integer(`${name}.port`, o.port, 1, 65535),
    ttl: integer(`${name}.ttl`, o.ttl, 1, 255),
    ttlSet: ttlMode(`${name}.ttlMode`, o.ttlMode),
    sourceAddress: ipv4(`${name}.sourceAddress`, o.sourceAddress),
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
  return list.map((value, i) => {
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
    return {
      id,
      group: ipv4(`${at}.group`, r.group, 'multicast'),
      port: integer(`${at}.port`, r.port, 1, 65535),
      hasSource: r.source !== undefined,
      source: r.source === undefined ? 0 : ipv4(`${at}.source`, r.source),
      vlan: r.vlan === undefined ? -1 : integer(`${at}.vlan`, r.vlan, 0, NATIVE_LIMITS.maxVlanId),
      maxPps: r.maxPps === undefined ? 0 : integer(`${at}.maxPps`, r.maxPps, 1, NATIVE_LIMITS.maxPps),
      outputs: outputs.map((output, k) => normalizeOutput(`${at}.outputs[${k}]`, output)),
    };
  });
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
