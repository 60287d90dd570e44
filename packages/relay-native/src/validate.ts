// Argument checks at the library's boundary, by the schemas of schema.ts (the ones the relay builds
// its own on): TypeError for a wrong type, RangeError for a value out of range, the message naming
// the argument path, the expectation and the value received. Then the conversion to what the native
// side takes (addresses and MACs as bytes, modes as numbers).
import type { z } from 'zod';
import { ADDRESS_BITS, addressBytes, isMulticastAddress, parseIpAddress, type AddressFamily } from './ip-address.js';
import { macToBuffer } from './ipv4.js';
import type { NativeOutputSpec, NativeRuleSpec } from './native.js';
import { datagramMessageSchemas, listenerMessageSchemas, ruleSpecsSchema, tableContextSchema, workerOptionsSchema } from './schema.js';
import type { FanoutMode, ListenerGate, TableContext } from './types.js';


function pathText(name: string, keys: readonly PropertyKey[]): string {
  return keys.reduce<string>((p, key) => (typeof key === 'number' ? `${p}[${key}]` : p ? `${p}.${String(key)}` : String(key)), name);
}

function valueAt(value: unknown, keys: readonly PropertyKey[]): unknown {
  return keys.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined), value);
}

/** A value of the wrong type, as opposed to one of the right type out of bounds. */
function isTypeIssue(issue: z.core.$ZodIssue, input: unknown): boolean {
  if (issue.code === 'invalid_type') return !(issue.expected === 'int' && typeof input === 'number');
  if (issue.code === 'invalid_value') return typeof input !== 'string';
  return false;
}

/** `value` parsed by `schema`; else the first problem, thrown as a TypeError or RangeError under `name`. */
export function check<S extends z.ZodType>(schema: S, name: string, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = pathText(name, issue.path);
  const message = at ? `${at}: ${issue.message}` : issue.message;
  throw isTypeIssue(issue, valueAt(value, issue.path)) ? new TypeError(message) : new RangeError(message);
}

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

/** Checked, with defaults filled in, in the binding's form. */
export function normalizeWorkerOptions(options: unknown): NormalizedWorkerOptions {
  const { fanout, ...o } = check(workerOptionsSchema, 'options', options);
  return { ...o, fanoutMode: fanout === null ? -1 : FANOUT_MODE_NUMBERS[fanout.mode], fanoutId: fanout?.id ?? -1 };
}

function bytesOf(text: string): Buffer {
  return addressBytes(parseIpAddress(text)!);
}

/** Checks rules as one table and converts them to the native shape. */
export function normalizeRules(name: string, rules: unknown): NativeRuleSpec[] {
  return check(ruleSpecsSchema, name, rules).map((r): NativeRuleSpec => {
    const group = parseIpAddress(r.group)!;
    const bits = ADDRESS_BITS[group.family];
    return {
      id: r.id,
      group: addressBytes(group),
      prefixLength: r.groupPrefixLength ?? bits,
      port: r.port,
      hasSource: r.source !== undefined,
      source: r.source === undefined ? Buffer.alloc(bits / 8) : bytesOf(r.source),
      vlan: r.vlan ?? -1,
      maxPps: r.maxPps ?? 0,
      fastPath: false,
      outputs: r.outputs.map(
        (o): NativeOutputSpec => ({
          interface: o.interface,
          // 0: the interface is absent; the output keeps its place and sends nothing.
          ifindex: o.ifindex,
          group: bytesOf(o.group),
          multicast: isMulticastAddress(parseIpAddress(o.group)!),
          // A /32 (/128) "range" maps nothing: the output's group is the destination.
          mapsRange: o.groupPrefixLength !== undefined && o.groupPrefixLength < bits,
          port: o.port,
          ttl: o.ttl,
          ttlSet: o.ttlMode === 'set',
          sourceAddress: bytesOf(o.sourceAddress),
          sourceMac: macToBuffer(o.sourceMac)!,
          listeners: o.listeners === undefined ? null : encodeListeners(o.listeners),
        }),
      ),
    };
  });
}

/**
 * An output's gates as the native side reads them (NativeOutputSpec.listeners), one after another:
 * the group (4 or 16 bytes), the mode (1 byte: 1 include, 0 exclude), the source count (2 bytes, big
 * endian), the sources (4 or 16 bytes each). Native code sorts them for its binary searches.
 */
export function encodeListeners(gates: readonly ListenerGate[]): Buffer {
  const parts: Buffer[] = [];
  for (const gate of gates) {
    const head = Buffer.alloc(3);
    head[0] = gate.mode === 'include' ? 1 : 0;
    head.writeUInt16BE(gate.sources.length, 1);
    parts.push(bytesOf(gate.group), head, ...gate.sources.map(bytesOf));
  }
  return Buffer.concat(parts);
}

/** The table context as the native side reads it: own MACs as one Buffer of 6-byte entries. */
export function normalizeTableContext(name: string, context: unknown): Buffer {
  const c = check(tableContextSchema, name, context);
  return Buffer.concat((c?.ownMacs ?? []).map((mac) => macToBuffer(mac)!));
}

/** Marks the rules that `context.fastPathRules` names (context already checked). */
export function markFastPath(rules: NativeRuleSpec[], context: TableContext | undefined): NativeRuleSpec[] {
  const fast = new Set(context?.fastPathRules ?? []);
  return rules.map((rule) => (fast.has(rule.id) ? { ...rule, fastPath: true } : rule));
}

/** A message for ListenerSocket.send in the binding's form. */
export interface NormalizedListenerMessage {
  source: Buffer;
  destination: Buffer;
  payload: Buffer;
  destinationText: string; // canonical, for errors
}

/** Checks a message for a ListenerSocket of `family` and converts it to the binding's form. */
export function normalizeListenerMessage(family: AddressFamily, name: string, message: unknown): NormalizedListenerMessage {
  const m = check(listenerMessageSchemas[family], name, message);
  const payload = Buffer.isBuffer(m.payload) ? m.payload : Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.length);
  return { source: bytesOf(m.source), destination: bytesOf(m.destination), payload, destinationText: parseIpAddress(m.destination)!.text };
}

/** A datagram for DatagramSocket.send in the binding's form. */
export interface NormalizedDatagramMessage {
  source: Buffer;
  sourcePort: number;
  hopLimit: number;
  payload: Buffer;
}

/** Checks a datagram for a DatagramSocket of `family` and converts it to the binding's form. */
export function normalizeDatagramMessage(family: AddressFamily, name: string, message: unknown): NormalizedDatagramMessage {
  const m = check(datagramMessageSchemas[family], name, message);
  const payload = Buffer.isBuffer(m.payload) ? m.payload : Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.length);
  return { source: bytesOf(m.source), sourcePort: m.sourcePort, hopLimit: m.hopLimit, payload };
}
