import { z } from 'zod';
import { ADDRESS_BITS, ADDRESS_FAMILIES, hostBitsAreZero, isMulticastAddress, networkOf, parseIpAddress, type AddressFamily, type AddressRange, type IpAddress } from './ip-address.js';
import { macToBuffer, unsendableUnicast4 } from './ipv4.js';
import { isLinkLocalUnicast6 } from './ipv6.js';
import { GROUP_PREFIX_LENGTHS, NATIVE_LIMITS } from './limits.js';
import { NATIVE_FANOUT_MODES, NATIVE_LISTENER_MODES, NATIVE_TTL_MODES, type DatagramSocketOptions, type ListenerSocketOptions } from './types.js';

// What the data plane accepts, defined once as zod schemas. validate.ts parses every argument with
// them before any native call; the relay builds its config and rule schemas from the same fields, so
// it refuses first, with a field path, whatever the data plane would refuse. Every message names the
// expectation and the value received ("must be 1..65535, got 0"); the caller puts the path in front.

/** A value as messages quote it: short, and "nothing" for a missing field. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

export function integer(min: number, max: number) {
  const error = (issue: { input?: unknown }) => `must be ${min}..${max}, got ${describe(issue.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string, optionally matching `pattern` (`expectation` says what that means to a user). */
export function text(pattern?: RegExp, expectation?: string) {
  const error = (issue: { input?: unknown }) => `must be a non-empty string, got ${describe(issue.input)}`;
  const nonEmpty = z.string({ error }).min(1, { error, abort: true });
  if (!pattern) return nonEmpty;
  return nonEmpty.regex(pattern, { error: (issue) => `must be ${expectation ?? `like ${pattern}`}, got ${describe(issue.input)}` });
}

export function boolean() {
  return z.boolean({ error: (issue) => `must be true or false, got ${describe(issue.input)}` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, { error: (issue) => `must be one of ${choices.join(' | ')}, got ${describe(issue.input)}` });
}

export function array<T extends z.core.$ZodType>(item: T, minLength = 0) {
  return z
    .array(item, { error: (issue) => `must be an array, got ${describe(issue.input)}` })
    .min(minLength, { error: `must have at least ${minLength} element(s)` });
}

/**
 * A value `guard` accepts; else a failed type check (a TypeError at the library's boundary) saying it must be
 * `expectation` (`expected`: the type name zod records in its report).
 */
function ofType<T>(guard: (value: unknown) => value is T, expected: 'function' | 'object', expectation: string) {
  return z.custom<T>().check((ctx) => {
    if (!guard(ctx.value)) ctx.issues.push({ code: 'invalid_type', expected, input: ctx.value, message: `must be ${expectation}, got ${describe(ctx.value)}` });
  });
}

export function callback<T extends (...args: never[]) => unknown>() {
  return ofType((value): value is T => typeof value === 'function', 'function', 'a function');
}

/** A Buffer (or another Uint8Array) of min..max bytes. */
export function bytes(min: number, max: number) {
  return ofType((value): value is Uint8Array => value instanceof Uint8Array, 'object', 'a Buffer').refine((b) => b.length >= min && b.length <= max, {
    error: (issue) => `must hold ${min}..${max} bytes, got ${(issue.input as Uint8Array).length}`,
    abort: true,
  });
}

/** An object whose unknown keys are dropped (a library argument; the relay's files refuse them). */
function record<T extends z.core.$ZodLooseShape>(shape: T, expectation = 'an object') {
  return z.object(shape, { error: (issue) => `must be ${expectation}, got ${describe(issue.input)}` });
}

const IFNAME = new RegExp(`^[A-Za-z0-9_.:@-]{1,${NATIVE_LIMITS.maxInterfaceNameLength}}$`);

/** A name the kernel takes for an interface: 1..15 (IFNAMSIZ - 1) of letters, digits, _ . : @ -, not "." or "..". */
export function isValidInterfaceName(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..';
}

export function interfaceName() {
  return text().refine(isValidInterfaceName, { error: (issue) => `${describe(issue.input)} is not a valid interface name`, abort: true });
}

export function macAddress() {
  return text().refine((mac) => macToBuffer(mac) !== null, {
    error: (issue) => `must be a MAC address like 'aa:bb:cc:dd:ee:ff', got ${describe(issue.input)}`,
    abort: true,
  });
}

/** An IPv4 address (dotted quad) or an IPv6 one (no zone index), of any kind. */
export function ipAddress() {
  return text().refine((address) => parseIpAddress(address) !== null, {
    error: (issue) => `must be a dotted-quad IPv4 or an IPv6 address (no zone index), got ${describe(issue.input)}`,
    abort: true,
  });
}

/** A multicast group: 224.0.0.0/4 or ff00::/8. */
export function multicastGroup() {
  return ipAddress().refine((address) => isMulticastAddress(parseIpAddress(address)!), {
    error: (issue) => `must be a multicast address in ${MULTICAST_RANGE[parseIpAddress(issue.input as string)!.family]}, got ${describe(issue.input)}`,
    abort: true,
  });
}

const MAX_IFINDEX = 0x7fffffff;

/** The fields the data plane takes, each with its bounds. */
export const NATIVE_FIELDS = {
  /** An interface that exists; an output's may also be 0 (absent right now). */
  ifindex: () => integer(1, MAX_IFINDEX),
  outputIfindex: () => integer(0, MAX_IFINDEX),
  port: () => integer(1, 65535),
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: () => integer(1, 255),
  ttlMode: () => oneOf(NATIVE_TTL_MODES),
  listenerMode: () => oneOf(NATIVE_LISTENER_MODES),
  vlan: () => integer(NATIVE_LIMITS.minVlanId, NATIVE_LIMITS.maxVlanId),
  maxPps: () => integer(1, NATIVE_LIMITS.maxPps),
  /** A prefix length of any family; groupRangeProblem holds a range to its family's bounds. */
  prefixLength: () => integer(0, ADDRESS_BITS.ipv6),
  fanoutMode: () => oneOf(NATIVE_FANOUT_MODES),
  fanoutId: () => integer(0, 0xffff),
  receiveBufferBytes: () => integer(NATIVE_LIMITS.minReceiveBufferBytes, NATIVE_LIMITS.maxReceiveBufferBytes),
  batchSize: () => integer(1, NATIVE_LIMITS.maxBatchSize),
  coalesceMicros: () => integer(0, NATIVE_LIMITS.maxCoalesceMicros),
  latencyBudgetMicros: () => integer(0, NATIVE_LIMITS.maxLatencyBudgetMicros),
  injectedWorkNanos: () => integer(0, NATIVE_LIMITS.maxInjectedWorkNanos),
  family: () => oneOf(ADDRESS_FAMILIES),
};

/** Defaults of WorkerOptions, stated once (the relay imports them for its own config defaults). */
export const WORKER_DEFAULTS = {
  receiveBufferBytes: 8 * 1024 * 1024,
  batchSize: 64,
  coalesceMicros: 0,
  latencyBudgetMicros: 50,
} as const;

/** A family as messages name it. */
export const FAMILY_NAME: Record<AddressFamily, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const MULTICAST_RANGE: Record<AddressFamily, string> = { ipv4: '224.0.0.0/4', ipv6: 'ff00::/8' };

/**
 * What is wrong with a range of groups (a prefix length out of GROUP_PREFIX_LENGTHS for its family,
 * or host bits set in its base), or null. `on` names the part at fault; `written` is quoted.
 */
export function groupRangeProblem(r: AddressRange, written: unknown): { on: 'prefixLength' | 'base'; message: string } | null {
  const { min, max } = GROUP_PREFIX_LENGTHS[r.base.family];
  if (r.prefixLength < min || r.prefixLength > max) {
    return { on: 'prefixLength', message: `a range's prefix length must be ${min}..${max} for ${FAMILY_NAME[r.base.family]}, got ${describe(written)} (/${r.prefixLength})` };
  }
  if (!hostBitsAreZero(r)) {
    return { on: 'base', message: `the host bits of a range's base must be zero (did you mean ${networkOf(r).text}/${r.prefixLength}?), got ${describe(written)}` };
  }
  return null;
}

type Ctx = z.core.$RefinementCtx<unknown>;

function fail(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** `text` (already checked to parse) as an address of `family`, or an issue at `path`. */
function addressOf(text: string, family: AddressFamily, path: (string | number)[], ctx: Ctx): IpAddress | null {
  const address = parseIpAddress(text)!;
  if (address.family === family) return address;
  fail(ctx, path, `must be an ${FAMILY_NAME[family]} address like the rule's group (one family per rule), got ${describe(text)}`);
  return null;
}

/** A rule's outputs: at most NATIVE_LIMITS.maxOutputsPerRule (one frame's copies fit one egress batch). */
export function outputList<T extends z.core.$ZodType>(output: T, minLength = 0) {
  return array(output, minLength).max(NATIVE_LIMITS.maxOutputsPerRule, {
    error: (issue) => `must hold at most ${NATIVE_LIMITS.maxOutputsPerRule} outputs (NATIVE_LIMITS.maxOutputsPerRule), got ${(issue.input as unknown[]).length}`,
  });
}

const listenerGate = record({
  group: multicastGroup(),
  mode: NATIVE_FIELDS.listenerMode(),
  sources: array(ipAddress()).max(NATIVE_LIMITS.maxListenerSourcesPerGate, {
    error: (issue) => `must hold at most ${NATIVE_LIMITS.maxListenerSourcesPerGate} sources (NATIVE_LIMITS.maxListenerSourcesPerGate), got ${(issue.input as unknown[]).length}`,
  }),
});

const outputSpec = record({
  interface: interfaceName(),
  ifindex: NATIVE_FIELDS.outputIfindex(),
  group: ipAddress(),
  groupPrefixLength: NATIVE_FIELDS.prefixLength().optional(),
  port: NATIVE_FIELDS.port(),
  ttl: NATIVE_FIELDS.ttl(),
  ttlMode: NATIVE_FIELDS.ttlMode().optional(),
  sourceAddress: ipAddress(),
  sourceMac: macAddress(),
  listeners: array(listenerGate)
    .max(NATIVE_LIMITS.maxListenerGroupsPerOutput, {
      error: (issue) => `must hold at most ${NATIVE_LIMITS.maxListenerGroupsPerOutput} gates (NATIVE_LIMITS.maxListenerGroupsPerOutput), got ${(issue.input as unknown[]).length}`,
    })
    .optional(),
});

const ruleSpec = record({
  id: text(),
  group: multicastGroup(),
  groupPrefixLength: NATIVE_FIELDS.prefixLength().optional(),
  port: NATIVE_FIELDS.port(),
  source: ipAddress().optional(),
  vlan: NATIVE_FIELDS.vlan().optional(),
  maxPps: NATIVE_FIELDS.maxPps().optional(),
  outputs: outputList(outputSpec),
}).superRefine(checkRuleAddresses);

type ParsedRuleSpec = z.output<typeof ruleSpec>;

/**
 * One family per rule; a multicast group; range bounds; an output range only as the rule's offset
 * mapping; an output's listener gates (checkListeners) once its destinations are known to be right.
 */
function checkRuleAddresses(rule: ParsedRuleSpec, ctx: Ctx): void {
  const group = parseIpAddress(rule.group)!;
  const family = group.family;
  const prefixLength = rule.groupPrefixLength ?? ADDRESS_BITS[family];
  if (rule.groupPrefixLength !== undefined) {
    const problem = groupRangeProblem({ base: group, prefixLength }, rule.group);
    if (problem) fail(ctx, [problem.on === 'base' ? 'group' : 'groupPrefixLength'], problem.message);
  }
  if (rule.source !== undefined) addressOf(rule.source, family, ['source'], ctx);
  rule.outputs.forEach((out, i) => {
    const base = addressOf(out.group, family, ['outputs', i, 'group'], ctx);
    addressOf(out.sourceAddress, family, ['outputs', i, 'sourceAddress'], ctx);
    if (base === null) return;
    const rangeOk = checkOutputRange(out, base, rule.groupPrefixLength === undefined ? null : prefixLength, i, ctx);
    if (rangeOk && out.listeners !== undefined) checkListeners(out, base, i, ctx);
  });
}

/** An output's groupPrefixLength: only the offset mapping of a range rule (`rulePrefix`, else null). False when refused. */
function checkOutputRange(out: ParsedOutputSpec, base: IpAddress, rulePrefix: number | null, i: number, ctx: Ctx): boolean {
  const at = (field: string) => ['outputs', i, field];
  if (out.groupPrefixLength === undefined) return true;
  if (rulePrefix === null) {
    fail(ctx, at('groupPrefixLength'), `is allowed only on a range rule's output (the rule has no groupPrefixLength), got ${out.groupPrefixLength}`);
  } else if (!isMulticastAddress(base)) {
    fail(ctx, at('groupPrefixLength'), `needs a multicast group (offset mapping), got group ${describe(out.group)}`);
  } else if (out.groupPrefixLength !== rulePrefix) {
    fail(ctx, at('groupPrefixLength'), `must equal the rule's groupPrefixLength ${rulePrefix} (offset mapping), got ${out.groupPrefixLength}`);
  } else {
    const problem = groupRangeProblem({ base, prefixLength: rulePrefix }, out.group);
    if (!problem) return true;
    fail(ctx, at(problem.on === 'base' ? 'group' : 'groupPrefixLength'), problem.message);
  }
  return false;
}

type ParsedOutputSpec = ParsedRuleSpec['outputs'][number];

/**
 * An output's gates: only on a multicast output; each group one of the output's destinations (its
 * group, or within its offset-mapped range), once; sources unicast, of the rule's family, each once.
 */
function checkListeners(out: ParsedOutputSpec, base: IpAddress, i: number, ctx: Ctx): void {
  const at = (...path: (string | number)[]) => ['outputs', i, 'listeners', ...path];
  const gates = out.listeners ?? [];
  if (!isMulticastAddress(base)) {
    fail(ctx, at(), `are allowed only on a multicast output (group ${describe(out.group)} is unicast), got ${gates.length} gate(s)`);
    return;
  }
  const family = base.family;
  const bits = ADDRESS_BITS[family];
  const prefixLength = out.groupPrefixLength ?? bits;
  const shift = BigInt(bits - prefixLength);
  const destinations = prefixLength < bits ? `within ${base.text}/${prefixLength} (its group, offset mapping)` : `${base.text} (its group)`;
  const groups = new Map<bigint, number>();
  gates.forEach((gate, j) => {
    const group = addressOf(gate.group, family, at(j, 'group'), ctx);
    if (group !== null) {
      if (group.value >> shift !== base.value >> shift) {
        fail(ctx, at(j, 'group'), `must be a destination of this output: ${destinations}, got ${describe(gate.group)}`);
      }
      const first = groups.get(group.value);
      if (first !== undefined) fail(ctx, at(j, 'group'), `repeats the group of listeners[${first}] (one gate per group), got ${describe(gate.group)}`);
      else groups.set(group.value, j);
    }
    const sources = new Map<bigint, number>();
    gate.sources.forEach((text, k) => {
      const source = addressOf(text, family, at(j, 'sources', k), ctx);
      if (source === null) return;
      if (isMulticastAddress(source)) {
        fail(ctx, at(j, 'sources', k), `must be a unicast address (a source of traffic), got ${describe(text)}`);
        return;
      }
      const firstSource = sources.get(source.value);
      if (firstSource !== undefined) fail(ctx, at(j, 'sources', k), `repeats sources[${firstSource}] (each source once), got ${describe(text)}`);
      else sources.set(source.value, k);
    });
  });
}

/** Gates plus their sources over a table's outputs (NATIVE_LIMITS.maxListenerEntriesPerTable bounds it). */
function listenerEntries(rules: ParsedRuleSpec[]): number {
  let entries = 0;
  for (const rule of rules) {
    for (const out of rule.outputs) for (const gate of out.listeners ?? []) entries += 1 + gate.sources.length;
  }
  return entries;
}

/** One worker's table: unique ids, no two range rules for one match, NATIVE_LIMITS' counts. */
export const ruleSpecsSchema = array(ruleSpec)
  .max(NATIVE_LIMITS.maxRulesPerTable, {
    error: (issue) => `must hold at most ${NATIVE_LIMITS.maxRulesPerTable} rules (NATIVE_LIMITS.maxRulesPerTable), got ${(issue.input as unknown[]).length}`,
  })
  .superRefine((rules, ctx) => {
    const ids = new Set<string>();
    const ranges = new Map<string, number>(); // (base, prefix, port, vlan, source) -> the first rule's index
    rules.forEach((rule, i) => {
      if (ids.has(rule.id)) fail(ctx, [i, 'id'], `must be unique, got duplicate ${describe(rule.id)}`);
      ids.add(rule.id);
      const group = parseIpAddress(rule.group)!;
      if (rule.groupPrefixLength === undefined || rule.groupPrefixLength >= ADDRESS_BITS[group.family]) return;
      // Two rules for the same range, port, VLAN and source would leave the winner to table order.
      const source = rule.source === undefined ? '' : parseIpAddress(rule.source)!.value;
      const key = [group.value, rule.groupPrefixLength, rule.port, rule.vlan ?? '', source].join('/');
      const first = ranges.get(key);
      if (first !== undefined) fail(ctx, [i, 'groupPrefixLength'], `repeats the range, port, VLAN and source of the rule at index ${first} (ambiguous match)`);
      else ranges.set(key, i);
    });
    if (ranges.size > NATIVE_LIMITS.maxRangeRulesPerTable) {
      fail(ctx, [], `must hold at most ${NATIVE_LIMITS.maxRangeRulesPerTable} range rules (NATIVE_LIMITS.maxRangeRulesPerTable), got ${ranges.size}`);
    }
    const entries = listenerEntries(rules);
    if (entries > NATIVE_LIMITS.maxListenerEntriesPerTable) {
      fail(ctx, [], `must hold at most ${NATIVE_LIMITS.maxListenerEntriesPerTable} listener gates and sources in all (NATIVE_LIMITS.maxListenerEntriesPerTable), got ${entries}`);
    }
  });

export const tableContextSchema = record({
  ownMacs: array(macAddress()).max(NATIVE_LIMITS.maxOwnMacs, {
    error: (issue) => `must hold at most ${NATIVE_LIMITS.maxOwnMacs} addresses (NATIVE_LIMITS.maxOwnMacs), got ${(issue.input as unknown[]).length}`,
  }),
  fastPathRules: array(text()).max(NATIVE_LIMITS.maxRulesPerTable).optional(),
}).optional();

export const workerOptionsSchema = record({
  interface: interfaceName(),
  ifindex: NATIVE_FIELDS.ifindex(),
  fanout: record({ mode: NATIVE_FIELDS.fanoutMode(), id: NATIVE_FIELDS.fanoutId().optional() }, '{ mode, id? } or null (null: no fanout group)').nullable(),
  receiveBufferBytes: NATIVE_FIELDS.receiveBufferBytes().default(WORKER_DEFAULTS.receiveBufferBytes),
  batchSize: NATIVE_FIELDS.batchSize().default(WORKER_DEFAULTS.batchSize),
  coalesceMicros: NATIVE_FIELDS.coalesceMicros().default(WORKER_DEFAULTS.coalesceMicros),
  latencyBudgetMicros: NATIVE_FIELDS.latencyBudgetMicros().default(WORKER_DEFAULTS.latencyBudgetMicros),
  allMulticast: boolean().default(false),
  injectedWorkNanos: NATIVE_FIELDS.injectedWorkNanos().default(0),
  fanoutIgnoreOutgoingUnsupported: boolean().default(false),
});

/** A membership change: an any-source join, or a source-specific one with a source of the group's family. */
export const membershipSchema = record({
  ifindex: NATIVE_FIELDS.ifindex(),
  group: multicastGroup(),
  source: ipAddress().optional(),
  interfaceName: z.string({ error: (issue) => `must be a string, got ${describe(issue.input)}` }).optional(),
}).superRefine((m, ctx) => {
  if (m.source === undefined) return;
  const family = parseIpAddress(m.group)!.family;
  if (parseIpAddress(m.source)!.family !== family) fail(ctx, ['source'], `must be an ${FAMILY_NAME[family]} address like the group, got ${describe(m.source)}`);
});

export const listenerSocketOptionsSchema = record({
  ifindex: NATIVE_FIELDS.ifindex(),
  interfaceName: interfaceName(),
  family: NATIVE_FIELDS.family(),
  onPacket: callback<ListenerSocketOptions['onPacket']>(),
  onError: callback<NonNullable<ListenerSocketOptions['onError']>>().optional(),
});

/** Why `address` (of `family`) cannot be the source of a router's IGMP/MLD message, or null. */
function listenerSourceProblem(address: IpAddress): string | null {
  if (address.family === 'ipv6') {
    // RFC 3810 §5: MLD messages are sent from the link-local address (a querier is elected by it).
    return isLinkLocalUnicast6(address.value) ? null : 'must be an IPv6 link-local address (fe80::/10: MLD is sent from one, RFC 3810 §5)';
  }
  // 0.0.0.0: a querier with no address of its own on the link.
  if (address.value === 0n) return null;
  if (isMulticastAddress(address)) return 'must be a unicast IPv4 address or 0.0.0.0';
  const reason = unsendableUnicast4(Number(address.value));
  return reason === null ? null : `must be a unicast IPv4 address or 0.0.0.0, not ${reason}`;
}

/** A message ListenerSocket.send takes on a socket of `family`: addresses of the family, a multicast destination. */
function listenerMessage(family: AddressFamily) {
  return record({
    source: ipAddress(),
    destination: multicastGroup(),
    payload: bytes(NATIVE_LIMITS.minListenerPayloadBytes, NATIVE_LIMITS.maxListenerPayloadBytes),
  }).superRefine((m, ctx) => {
    for (const field of ['source', 'destination'] as const) {
      const address = parseIpAddress(m[field])!;
      if (address.family !== family) {
        fail(ctx, [field], `must be an ${FAMILY_NAME[family]} address (the socket's family), got ${describe(m[field])}`);
      } else if (field === 'source') {
        const problem = listenerSourceProblem(address);
        if (problem !== null) fail(ctx, [field], `${problem}, got ${describe(m[field])}`);
      }
    }
  });
}

export const listenerMessageSchemas = { ipv4: listenerMessage('ipv4'), ipv6: listenerMessage('ipv6') } as const;

export const datagramSocketOptionsSchema = record({
  ifindex: NATIVE_FIELDS.ifindex(),
  interfaceName: interfaceName(),
  family: NATIVE_FIELDS.family(),
  group: multicastGroup(),
  port: NATIVE_FIELDS.port(),
  onDatagram: callback<DatagramSocketOptions['onDatagram']>(),
  onError: callback<NonNullable<DatagramSocketOptions['onError']>>().optional(),
}).superRefine((o, ctx) => {
  const family = parseIpAddress(o.group)!.family;
  if (family !== o.family) fail(ctx, ['group'], `must be an ${FAMILY_NAME[o.family]} group (the socket's family), got ${describe(o.group)}`);
});

/** A datagram DatagramSocket.send takes on a socket of `family`: a unicast source of the family. */
function datagramMessage(family: AddressFamily) {
  return record({
    source: ipAddress(),
    sourcePort: NATIVE_FIELDS.port(),
    hopLimit: NATIVE_FIELDS.ttl(),
    payload: bytes(0, NATIVE_LIMITS.maxDatagramPayloadBytes),
  }).superRefine((m, ctx) => {
    const address = parseIpAddress(m.source)!;
    if (address.family !== family) fail(ctx, ['source'], `must be an ${FAMILY_NAME[family]} address (the socket's family), got ${describe(m.source)}`);
    else if (isMulticastAddress(address)) fail(ctx, ['source'], `must be a unicast address, got ${describe(m.source)}`);
  });
}

export const datagramMessageSchemas = { ipv4: datagramMessage('ipv4'), ipv6: datagramMessage('ipv6') } as const;
