// Argument checks: TypeError for a wrong type, RangeError for a value out of range. Every
// message names the argument path, the expectation and the value received.
import { ipv4ToNumber, isMulticast, macToBuffer } from './ipv4.js';
import type { NativeOutputSpec, NativeRuleSpec } from './native.js';
import type { FanoutMode, OutputSpec, RuleSpec, WorkerOptions } from './types.js';

/** Outputs per rule: bounds the native egress queue (one batch must fit, see egress.hpp). */
export const MAX_OUTPUTS_PER_RULE = 64;
const INTERFACE_NAME_MAX = 15;

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
  return nonEmptyString(name, value, INTERFACE_NAME_MAX);
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

export interface NormalizedWorkerOptions {
  interface: string;
  ifindex: number;
  fanoutMode: number; // -1: none, else PACKET_FANOUT_HASH / LB / CPU
  fanoutId: number; // -1: kernel picks
  receiveBufferBytes: number;
  batchSize: number;
  coalesceMicros: number;
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
    receiveBufferBytes: integer('options.receiveBufferBytes', o.receiveBufferBytes ?? 8 * 1024 * 1024, 256 * 1024, 1024 * 1024 * 1024),
    batchSize: integer('options.batchSize', o.batchSize ?? 64, 1, 1024),
    coalesceMicros: integer('options.coalesceMicros', o.coalesceMicros ?? 0, 0, 1000),
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

function normalizeOutput(name: string, value: unknown, allowNoIfindex: boolean): NativeOutputSpec {
  const o = object(name, value) as Partial<OutputSpec>;
  const mac = o.sourceMac;
  if (typeof mac !== 'string') throw new TypeError(`${name}.sourceMac must be a MAC string, received ${show(mac)}`);
  const macBuffer = macToBuffer(mac);
  if (macBuffer === null) throw new RangeError(`${name}.sourceMac must look like 'aa:bb:cc:dd:ee:ff', received ${show(mac)}`);
  return {
    interface: interfaceName(`${name}.interface`, o.interface),
    ifindex: integer(`${name}.ifindex`, o.ifindex, allowNoIfindex ? 0 : 1, 0x7fffffff),
    group: ipv4(`${name}.group`, o.group),
    port: integer(`${name}.port`, o.port, 1, 65535),
    ttl: integer(`${name}.ttl`, o.ttl, 1, 255),
    sourceAddress: ipv4(`${name}.sourceAddress`, o.sourceAddress),
    sourceMac: macBuffer,
  };
}

/**
 * Validates rules and converts them to the native shape. `allowNoIfindex` is for the bench entry,
 * where outputs never send (ifindex 0).
 */
export function normalizeRules(name: string, rules: unknown, allowNoIfindex = false): NativeRuleSpec[] {
  const list = array(name, rules);
  const ids = new Set<string>();
  return list.map((value, i) => {
    const at = `${name}[${i}]`;
    const r = object(at, value) as Partial<RuleSpec>;
    const id = nonEmptyString(`${at}.id`, r.id);
    if (ids.has(id)) throw new RangeError(`${at}.id must be unique, received duplicate ${show(id)}`);
    ids.add(id);
    const outputs = array(`${at}.outputs`, r.outputs);
    if (outputs.length > MAX_OUTPUTS_PER_RULE) {
      throw new RangeError(`${at}.outputs must hold at most ${MAX_OUTPUTS_PER_RULE} outputs, received ${outputs.length}`);
    }
    return {
      id,
      group: ipv4(`${at}.group`, r.group, 'multicast'),
      port: integer(`${at}.port`, r.port, 1, 65535),
      hasSource: r.source !== undefined,
      source: r.source === undefined ? 0 : ipv4(`${at}.source`, r.source),
      outputs: outputs.map((output, k) => normalizeOutput(`${at}.outputs[${k}]`, output, allowNoIfindex)),
    };
  });
}
