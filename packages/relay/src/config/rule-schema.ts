import { z } from 'zod';
import {
  ADDRESS_BITS,
  FAMILY_NAME,
  groupRangeProblem,
  interfaceName as validInterfaceName,
  isMulticastAddress,
  NATIVE_FIELDS,
  outputList,
  parseIpAddress,
  rangeSize,
  reachesLinkLocalGroups,
  splitPrefix,
  type AddressFamily,
  type AddressRange,
  isReservedScope6,
  multicastScope6,
  unsendableUnicast4,
  unsendableUnicast6,
} from '@mcr/relay-native';
import { isEthernetInterface } from '../net/interfaces.js';
import { ConfigError } from './config-error.js';
import { RELAY_LIMITS } from './limits.js';
import { boolean, configIssues, isRecord, object, oneOf, OTHER_FIELD, text } from './schema-fields.js';
import { DEFAULTS, FORWARD_MODES, ON_DEMAND, type ForwardMode, type InputSpec, type OutputSpec, type Rule } from './types.js';

// One rule, as the config file, the state file and the control socket's `add` carry it. Field
// types and ranges are the zod schema's; what depends on several fields (one address family per
// rule, ranges and their outputs, link-local scopes, join) is checked by one refinement that reads
// the addresses once. Every problem is reported with its field path, all at once.

export const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface RuleCheckOptions {
  /** Decides whether an interface exists; the relay passes a sysfs lookup in its own namespace. */
  interfaceExists: (name: string) => boolean;
  /**
   * Decides whether an interface has an Ethernet MAC (frames are rewritten and sent with one);
   * default: the sysfs lookup in the relay's namespace.
   */
  isEthernet?: (name: string) => boolean;
}

/**
 * Lookups under which an interface that does not exist passes, so that a rule naming it can wait for
 * it (`pending`); an interface that exists is checked as usual (an output must be Ethernet). Names
 * must still be valid interface names. One object per `options`, so schemas built for it are reused.
 */
export function absentInterfacesPass(options: RuleCheckOptions): RuleCheckOptions {
  let lenient = lenientLookups.get(options);
  if (!lenient) {
    lenient = { interfaceExists: () => true, isEthernet: (name) => !options.interfaceExists(name) || (options.isEthernet ?? isEthernetInterface)(name) };
    lenientLookups.set(options, lenient);
  }
  return lenient;
}
const lenientLookups = new WeakMap<RuleCheckOptions, RuleCheckOptions>();

/** The interfaces `rule` names (input first, then outputs, each once) that `exists` does not find. */
export function absentInterfaces(rule: Pick<Rule, 'input' | 'outputs'>, exists: (name: string) => boolean): string[] {
  const names = new Set([rule.input.interface, ...rule.outputs.map((o) => o.interface)]);
  return [...names].filter((name) => !exists(name));
}

/** A rule as parsed: `id` may be absent (the caller generates one). */
export type ParsedRule = Omit<Rule, 'id'> & { id?: string };

const FAMILIES = ['ipv4', 'ipv6'] as const;

function interfaceName(options: RuleCheckOptions, role: 'input' | 'output') {
  return validInterfaceName().superRefine((name, ctx) => {
    if (!options.interfaceExists(name)) ctx.addIssue(`unknown interface "${name}"`);
    else if (role === 'output' && !(options.isEthernet ?? isEthernetInterface)(name)) {
      // Outputs are sent as rewritten Ethernet frames with the interface's MAC as their source: an
      // interface without one (tun, wg, gre, lo) cannot carry them.
      ctx.addIssue(`${name} has no Ethernet MAC address (tun, wg, gre, lo and other non-Ethernet interfaces cannot be outputs)`);
    }
  });
}

/** The rule schema for one set of interface lookups (built once per set; zod schemas are reusable). */
export function ruleSchema(options: RuleCheckOptions) {
  let schema = schemas.get(options);
  if (!schema) schemas.set(options, (schema = buildRuleSchema(options)));
  return schema;
}
const schemas = new WeakMap<RuleCheckOptions, ReturnType<typeof buildRuleSchema>>();

/** The rule fields whose schema needs no host lookup: `mcr add`'s help describes its flags with them. */
export const RULE_FIELDS = {
  id: text(RULE_ID, 'letters, digits, _ . : - (1..64 characters)').optional().describe('rule id; generated (rule-N) when absent'),
  source: text().optional().describe('source-specific (SSM): only packets from this unicast address, of the group\'s family'),
  vlan: NATIVE_FIELDS.vlan()
    .optional()
    .describe('802.1Q VLAN id: only frames tagged with it match; absent: untagged frames only (a priority tag, VLAN 0, counts as untagged)'),
  ttlMode: NATIVE_FIELDS.ttlMode().default(DEFAULTS.ttlMode).describe('decrement: min(ttl, input TTL - 1), TTL-1 input dropped; set: ttl whatever came in (loop-unsafe)'),
  maxPps: NATIVE_FIELDS.maxPps().optional().describe('packets per second this rule may forward (per worker); absent: unlimited'),
  linkLocal: boolean().optional().describe('true: input and outputs may use groups that never leave the link (224.0.0.0/24, ff01::/16, ff02::/16)'),
  join: z
    .union([boolean(), z.literal(ON_DEMAND)], { error: (issue) => `must be true, false or "${ON_DEMAND}", got ${JSON.stringify(issue.input)}` })
    .optional()
    .describe(
      `false: join no membership for this rule (frames arrive by other means); "${ON_DEMAND}": join each input group only while an output with forward: "listeners" has a listener for it; default true. A range of more than ${RELAY_LIMITS.maxJoinedGroupsPerRange} groups needs false or "${ON_DEMAND}"`,
    ),
  forward: oneOf(FORWARD_MODES)
    .optional()
    .describe('always (default): every frame; listeners: only while the segment has an IGMP/MLD listener for the output group (and source)'),
};

function buildRuleSchema(options: RuleCheckOptions) {
  const input = object({
    interface: interfaceName(options, 'input').describe('interface the stream arrives on'),
    group: text().describe('multicast group (IPv4 224.0.0.0/4 or IPv6 ff00::/8), or a range BASE/LEN such as "239.1.0.0/24" or "ff3e::1:0/120"'),
    port: NATIVE_FIELDS.port().describe('UDP destination port'),
    source: RULE_FIELDS.source,
    vlan: RULE_FIELDS.vlan,
    prefixLength: NATIVE_FIELDS.prefixLength().optional().describe('the range\'s prefix length, as "/LEN" in group says it (the normalised form)'),
    family: oneOf(FAMILIES).optional().describe('the rule\'s address family; derived from group (the normalised form carries it)'),
  });
  const output = object({
    interface: interfaceName(options, 'output').describe('Ethernet interface the copies are sent on'),
    group: text().describe('multicast group, a range BASE/LEN of the input range\'s size (offset mapping), or a unicast address'),
    port: NATIVE_FIELDS.port().describe('UDP destination port'),
    ttl: NATIVE_FIELDS.ttl().default(DEFAULTS.ttl).describe('TTL (IPv4) or hop limit (IPv6) of the copies'),
    ttlMode: RULE_FIELDS.ttlMode,
    prefixLength: NATIVE_FIELDS.prefixLength().optional().describe('the output range\'s prefix length, as "/LEN" in group says it (the normalised form)'),
    forward: RULE_FIELDS.forward,
  });
  const outputs = outputList(output, 1);
  return object({
    id: RULE_FIELDS.id,
    input,
    outputs: outputs.describe('where each packet is sent'),
    maxPps: RULE_FIELDS.maxPps,
    linkLocal: RULE_FIELDS.linkLocal,
    join: RULE_FIELDS.join,
  })
    .superRefine(checkAddresses, { when: (payload) => isRecord(payload.value) })
    .transform(normalise);
}

type Ctx = z.core.$RefinementCtx<unknown>;

function fail(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** A group field's text (with "/LEN" or the prefixLength field) as a range; LEN = all bits for one address. */
type GroupReading = { range: AddressRange; isRange: boolean } | { error: 'malformed' | 'conflict' };

function readGroup(value: unknown, prefixField: unknown): GroupReading {
  if (typeof value !== 'string') return { error: 'malformed' };
  const split = splitPrefix(value);
  const base = split && parseIpAddress(split.address);
  if (!split || !base) return { error: 'malformed' };
  const explicit = typeof prefixField === 'number' ? prefixField : undefined;
  if (split.prefixLength !== undefined && explicit !== undefined && split.prefixLength !== explicit) return { error: 'conflict' };
  const prefixLength = split.prefixLength ?? explicit ?? ADDRESS_BITS[base.family];
  return { range: { base, prefixLength }, isRange: prefixLength !== ADDRESS_BITS[base.family] };
}

function rangeText(r: AddressRange): string {
  return r.prefixLength === ADDRESS_BITS[r.base.family] ? r.base.text : `${r.base.text}/${r.prefixLength}`;
}

/** Prefix bounds and host bits of a range (the data plane's definition); the message, or null when it is fine. */
function rangeProblem(r: AddressRange, written: unknown): string | null {
  return groupRangeProblem(r, written)?.message ?? null;
}

function linkLocalProblem(r: AddressRange, written: unknown, verb: string): string {
  if (r.base.family === 'ipv4') return `224.0.0.0/24 is link-local control traffic; the rule must say linkLocal: true to ${verb} it, got ${JSON.stringify(written)}`;
  const scope = multicastScope6(r.base.value) === 1 ? '1 (interface-local)' : '2 (link-local)';
  return `IPv6 multicast scope ${scope} never leaves the link; the rule must say linkLocal: true to ${verb} it, got ${JSON.stringify(written)}`;
}

const MIXED = 'a rule\'s input, source and outputs share one address family';

/** The input group (or range): multicast, not reserved, within range bounds, link-local only when allowed. */
function checkInputGroup(inputObj: Record<string, unknown>, linkLocal: boolean, ctx: Ctx): { input?: AddressRange; family?: AddressFamily } {
  const group = readGroup(inputObj.group, inputObj.prefixLength);
  if ('error' in group) {
    if (typeof inputObj.group === 'string') {
      fail(
        ctx,
        ['input', 'group'],
        group.error === 'conflict'
          ? `says /LEN and prefixLength ${String(inputObj.prefixLength)}, which differ, got ${JSON.stringify(inputObj.group)}`
          : `must be an IPv4 multicast group (224.0.0.0/4) or an IPv6 one (ff00::/8), or a range BASE/LEN of them, got ${JSON.stringify(inputObj.group)}`,
      );
    }
    return {};
  }
  const r = group.range;
  const problem = !isMulticastAddress(r.base)
    ? r.base.family === 'ipv4'
      ? `must be an IPv4 multicast group (224.0.0.0/4), got ${JSON.stringify(inputObj.group)}`
      : `must be an IPv6 multicast group (ff00::/8), got ${JSON.stringify(inputObj.group)}`
    : (rangeProblem(r, inputObj.group) ??
      (r.base.family === 'ipv6' && isReservedScope6(r.base.value)
        ? `IPv6 multicast scopes 0 and f are reserved (RFC 4291), got ${JSON.stringify(inputObj.group)}`
        : reachesLinkLocalGroups(r) && !linkLocal
          ? linkLocalProblem(r, inputObj.group, 'relay')
          : null));
  if (problem) fail(ctx, ['input', 'group'], problem);
  if (typeof inputObj.family === 'string' && inputObj.family !== r.base.family) {
    fail(ctx, ['input', 'family'], `must be ${r.base.family} like input.group ${JSON.stringify(inputObj.group)}, got ${JSON.stringify(inputObj.family)}`);
  }
  return problem ? { family: r.base.family } : { input: r, family: r.base.family };
}

/** input.source: a unicast address of the group's family. */
function checkSource(source: unknown, family: AddressFamily | undefined, ctx: Ctx): void {
  if (typeof source !== 'string') return;
  const address = parseIpAddress(source);
  const got = JSON.stringify(source);
  if (!address) fail(ctx, ['input', 'source'], `must be a unicast IPv4 or IPv6 address, got ${got}`);
  else if (isMulticastAddress(address) || address.value === 0n) fail(ctx, ['input', 'source'], `must be a unicast ${FAMILY_NAME[address.family]} address, got ${got}`);
  else if (family && address.family !== family) {
    fail(ctx, ['input', 'source'], `is ${FAMILY_NAME[address.family]} but input.group is ${FAMILY_NAME[family]} (${MIXED}), got ${got}`);
  }
}

/** A range that joins its groups may join at most RELAY_LIMITS.maxJoinedGroupsPerRange of them. */
function checkJoinSize(input: AddressRange | undefined, join: unknown, ctx: Ctx): void {
  // An on-demand rule may still need the whole range (an output that is not offset-mapped takes every group of it).
  if (!input || rangeSize(input) <= BigInt(RELAY_LIMITS.maxJoinedGroupsPerRange) || join === false) return;
  fail(
    ctx,
    ['join'],
    `input range ${rangeText(input)} has ${rangeSize(input)} groups, more than the ${RELAY_LIMITS.maxJoinedGroupsPerRange} one rule may join (RELAY_LIMITS.maxJoinedGroupsPerRange): say join: false and bring its frames in by other means`,
  );
}

/**
 * One output's group: its family is the input's; a multicast output is not reserved, a range output
 * maps a range input of its size, link-local only when allowed; a unicast output is one sendable
 * address. Returns the output's range when it is valid.
 */
function checkOutputGroup(out: Record<string, unknown>, i: number, rule: { input?: AddressRange; family?: AddressFamily; linkLocal: boolean }, ctx: Ctx): AddressRange | undefined {
  const path = ['outputs', i, 'group'];
  const got = JSON.stringify(out.group);
  const reading = readGroup(out.group, out.prefixLength);
  if ('error' in reading) {
    fail(
      ctx,
      path,
      reading.error === 'conflict'
        ? `says /LEN and prefixLength ${String(out.prefixLength)}, which differ, got ${got}`
        : `must be an IPv4 or IPv6 address (a multicast group or range, or unicast), got ${got}`,
    );
    return undefined;
  }
  const r = reading.range;
  const { input, family } = rule;
  let problem: string | null = null;
  if (family && r.base.family !== family) {
    problem = `is ${FAMILY_NAME[r.base.family]} but input.group is ${FAMILY_NAME[family]} (${MIXED}), got ${got}`;
  } else if (isMulticastAddress(r.base)) {
    problem =
      (reading.isRange ? rangeProblem(r, out.group) : null) ??
      (r.base.family === 'ipv6' && isReservedScope6(r.base.value) ? `IPv6 multicast scopes 0 and f are reserved (RFC 4291), got ${got}` : null) ??
      (reading.isRange && input && input.prefixLength !== r.prefixLength
        ? input.prefixLength === ADDRESS_BITS[input.base.family]
          ? `a range output needs a range input (input.group is the single group ${input.base.text}), got ${got}`
          : `an output range must be the size of the input range (/${input.prefixLength}: offset mapping), or a single group, got ${got}`
        : null) ??
      (reachesLinkLocalGroups(r) && !rule.linkLocal ? linkLocalProblem(r, out.group, 'send to') : null);
  } else if (reading.isRange) {
    problem = `a range output must be multicast (a unicast output is one address), got ${got}`;
  } else {
    const why = r.base.family === 'ipv4' ? unsendableUnicast4(Number(r.base.value)) : unsendableUnicast6(r.base.value);
    if (why) problem = `cannot send to ${why}, got ${got}`;
  }
  if (problem) {
    fail(ctx, path, problem);
    return undefined;
  }
  return r;
}

/**
 * Everything about a rule's addresses: each group, source and output read once, then checked on its
 * own (multicast, scope, unsendable, range bounds) and against the rest (family, linkLocal, output
 * range sizes, join). Runs even when other fields failed, so one pass reports every problem; it
 * therefore reads the rule defensively.
 */
function checkAddresses(rule: Record<string, unknown>, ctx: Ctx): void {
  const linkLocal = rule.linkLocal === true;
  const inputObj = isRecord(rule.input) ? rule.input : {};
  const { input, family } = checkInputGroup(inputObj, linkLocal, ctx);
  checkSource(inputObj.source, family, ctx);
  checkJoinSize(input, rule.join, ctx);
  if (!Array.isArray(rule.outputs)) return;
  checkListenerOutputs(rule.outputs, rule.join, ctx);
  // Two outputs with the same (interface, group, port) would send every frame twice.
  const seen = new Map<string, number>();
  rule.outputs.forEach((out: unknown, i) => {
    if (!isRecord(out) || typeof out.group !== 'string') return;
    const r = checkOutputGroup(out, i, { ...(input ? { input } : {}), ...(family ? { family } : {}), linkLocal }, ctx);
    if (!r || typeof out.interface !== 'string' || typeof out.port !== 'number') return;
    const key = `${out.interface}|${rangeText(r)}|${out.port}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['outputs', i],
      message: `duplicate output: ${OTHER_FIELD} already sends to ${rangeText(r)}:${out.port} on ${out.interface}`,
      params: { otherField: ['outputs', first] },
    });
  });
}

/**
 * forward: "listeners" needs a multicast output (a unicast destination has no segment of listeners to
 * ask), and join: "on-demand" needs such an output: without one nothing would ever be joined.
 */
function checkListenerOutputs(outputs: unknown[], join: unknown, ctx: Ctx): void {
  let listened = false;
  outputs.forEach((out, i) => {
    if (!isRecord(out) || out.forward !== 'listeners') return;
    listened = true;
    const address = typeof out.group === 'string' ? parseIpAddress(out.group.split('/')[0]!) : null;
    if (address && !isMulticastAddress(address)) fail(ctx, ['outputs', i, 'forward'], `"listeners" needs a multicast output; ${address.text} is unicast (nobody reports for it)`);
  });
  if (join === ON_DEMAND && !listened) fail(ctx, ['join'], `"${ON_DEMAND}" needs at least one output with forward: "listeners" (whose listeners decide what is joined)`);
}

type RawRule = Record<string, unknown> & {
  id?: string;
  input: { interface: string; group: string; port: number; source?: string; vlan?: number; prefixLength?: number };
  outputs: { interface: string; group: string; port: number; ttl: number; ttlMode: OutputSpec['ttlMode']; prefixLength?: number; forward?: ForwardMode }[];
  maxPps?: number;
  linkLocal?: boolean;
  join?: boolean | typeof ON_DEMAND;
};

/** The checked rule in its normalised form: canonical addresses, prefixes apart, defaults filled in. */
function normalise(raw: RawRule): ParsedRule {
  const group = readGroup(raw.input.group, raw.input.prefixLength) as { range: AddressRange; isRange: boolean };
  const source = raw.input.source === undefined ? undefined : parseIpAddress(raw.input.source)!.text;
  const input: InputSpec = {
    interface: raw.input.interface,
    group: group.range.base.text,
    ...(group.isRange ? { prefixLength: group.range.prefixLength } : {}),
    port: raw.input.port,
    ...(source === undefined ? {} : { source }),
    ...(raw.input.vlan === undefined ? {} : { vlan: raw.input.vlan }),
    family: group.range.base.family,
  };
  const outputs = raw.outputs.map((o): OutputSpec => {
    const out = readGroup(o.group, o.prefixLength) as { range: AddressRange; isRange: boolean };
    return {
      interface: o.interface,
      group: out.range.base.text,
      ...(out.isRange ? { prefixLength: out.range.prefixLength } : {}),
      port: o.port,
      ttl: o.ttl,
      ttlMode: o.ttlMode,
      ...(o.forward === 'listeners' ? { forward: 'listeners' as const } : {}),
    };
  });
  return {
    ...(raw.id === undefined ? {} : { id: raw.id }),
    input,
    outputs,
    ...(raw.maxPps === undefined ? {} : { maxPps: raw.maxPps }),
    ...(raw.linkLocal ? { linkLocal: true } : {}),
    ...(raw.join === false || raw.join === ON_DEMAND ? { join: raw.join } : {}),
  };
}

/** Checks one untrusted rule; every problem comes back as a ConfigIssue under `path`. */
export function checkRule(value: unknown, options: RuleCheckOptions, path: string): { rule: ParsedRule } | { issues: ReturnType<typeof configIssues> } {
  const result = ruleSchema(options).safeParse(value);
  return result.success ? { rule: result.data } : { issues: configIssues(result.error.issues, path, value) };
}

/** Validates one rule on its own (the control socket's `add`, a state file's rule); throws ConfigError. */
export function parseRule(value: unknown, options: RuleCheckOptions, path = 'rule'): ParsedRule {
  const checked = checkRule(value, options, path);
  if ('issues' in checked) throw new ConfigError(checked.issues);
  return checked.rule;
}
