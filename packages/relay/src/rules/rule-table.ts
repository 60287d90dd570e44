import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { NATIVE_LIMITS, RELAY_LIMITS } from '../config/limits.js';
import type { InputSpec, Rule } from '../config/types.js';
import { ADDRESS_BITS, parseIpAddress, rangesOverlap, rangeSize, type AddressRange } from '@mcr/relay-native';

// Which rule a frame belongs to: an exact group beats a range, and a longer prefix beats a shorter
// one (most specific wins), so rules may nest. Only two ranges with the same prefix that overlap
// (which, for prefixes, means the same range) would be ambiguous: the table refuses the second.

/** The groups an input reads; one group is a range of the family's full length. */
function inputRange(input: InputSpec): AddressRange {
  const base = parseIpAddress(input.group) ?? { family: 'ipv4' as const, text: input.group, value: 0n };
  return { base, prefixLength: input.prefixLength ?? ADDRESS_BITS[base.family] };
}

function isRangeInput(input: InputSpec): boolean {
  return input.prefixLength !== undefined && input.prefixLength < ADDRESS_BITS[inputRange(input).base.family];
}

function groupsText(input: InputSpec): string {
  return isRangeInput(input) ? `${input.group}/${input.prefixLength}` : input.group;
}

/**
 * The identity of a stream on the wire: two rules may not claim the same one. An exact group's
 * includes its source (SSM rules for two sources of one group are two streams); a range's does not,
 * since ranges are told apart by prefix alone.
 */
function inputKey(rule: Rule): string {
  const i = rule.input;
  const source = isRangeInput(i) ? 'range' : (i.source ?? '*');
  return `${i.interface}|${groupsText(i)}|${i.port}|${source}|${i.vlan ?? 'untagged'}`;
}

/** The groups a rule has joined on its input interface: none when it says join: false. */
function membershipKey(rule: Rule): string | undefined {
  return rule.join === false ? undefined : groupsText(rule.input);
}

function membershipSize(rule: Rule): number {
  return Number(rangeSize(inputRange(rule.input)));
}

/** What the limits are checked against; kept alongside the rules so a change checks only itself. */
interface Index {
  /** input key -> rule id */
  byInput: Map<string, string>;
  /** input interface -> number of rules that read it */
  interfaces: Map<string, number>;
  /** input interface -> joined group or range -> number of rules that need it */
  groups: Map<string, Map<string, number>>;
  /** input interface -> groups joined on it (a range counts each of its groups) */
  joined: Map<string, number>;
  /** input interface -> range rules on it (its native table scans them for every unmatched frame) */
  ranges: Map<string, number>;
}

function copyIndex(index: Index): Index {
  return {
    byInput: new Map(index.byInput),
    interfaces: new Map(index.interfaces),
    groups: new Map(index.groups),
    joined: new Map(index.joined),
    ranges: new Map(index.ranges),
  };
}

/**
 * The relay's rules: immutable. Every change returns a new table, so the daemon can validate a change
 * completely before anything (IGMP, workers) is touched, and a rejected change leaves the old table
 * in force. A change checks only the rule it adds against the table's indexes, so adding one rule to
 * thousands costs about as much as adding it to none.
 */
export class RuleTable {
  private constructor(
    private readonly rules: ReadonlyMap<string, Rule>,
    private readonly index: Index,
  ) {}

  static readonly empty = new RuleTable(new Map(), { byInput: new Map(), interfaces: new Map(), groups: new Map(), joined: new Map(), ranges: new Map() });

  static from(rules: readonly Rule[], pathOf: (index: number) => string = (i) => `rules[${i}]`): RuleTable {
    const issues: ConfigIssue[] = [];
    const byId = new Map<string, Rule>();
    const index = copyIndex(RuleTable.empty.index);
    rules.forEach((rule, i) => {
      const found = check(byId, index, rule, pathOf(i));
      issues.push(...found);
      if (found.length === 0) admit(byId, index, rule);
    });
    if (issues.length > 0) throw new ConfigError(issues);
    return new RuleTable(byId, index);
  }

  /** A new table with `rule` added; throws ConfigError (paths under `rule`) and leaves this one as it was. */
  with(rule: Rule): RuleTable {
    const byId = new Map(this.rules);
    const index = copyIndex(this.index);
    const issues = check(byId, index, rule, 'rule');
    if (issues.length > 0) throw new ConfigError(issues);
    const groups = index.groups.get(rule.input.interface);
    if (groups) index.groups.set(rule.input.interface, new Map(groups));
    admit(byId, index, rule);
    return new RuleTable(byId, index);
  }

  /** A new table without the rule `id`; undefined when there is no such rule. */
  without(id: string): RuleTable | undefined {
    const rule = this.rules.get(id);
    if (!rule) return undefined;
    const byId = new Map(this.rules);
    byId.delete(id);
    const index = copyIndex(this.index);
    index.byInput.delete(inputKey(rule));
    const iface = rule.input.interface;
    const rulesOnIface = (index.interfaces.get(iface) ?? 1) - 1;
    if (rulesOnIface > 0) index.interfaces.set(iface, rulesOnIface);
    else index.interfaces.delete(iface);
    if (isRangeInput(rule.input)) {
      const ranges = (index.ranges.get(iface) ?? 1) - 1;
      if (ranges > 0) index.ranges.set(iface, ranges);
      else index.ranges.delete(iface);
    }
    const key = membershipKey(rule);
    if (key !== undefined) {
      const onIface = new Map(index.groups.get(iface));
      const n = (onIface.get(key) ?? 1) - 1;
      if (n > 0) onIface.set(key, n);
      else {
        onIface.delete(key);
        index.joined.set(iface, (index.joined.get(iface) ?? 0) - membershipSize(rule));
      }
      if (onIface.size > 0) index.groups.set(iface, onIface);
      else {
        index.groups.delete(iface);
        index.joined.delete(iface);
      }
    }
    return new RuleTable(byId, index);
  }

  has(id: string): boolean {
    return this.rules.has(id);
  }

  get(id: string): Rule | undefined {
    return this.rules.get(id);
  }

  get size(): number {
    return this.rules.size;
  }

  list(): Rule[] {
    return [...this.rules.values()];
  }

  inputInterfaces(): string[] {
    return [...this.index.interfaces.keys()];
  }

  rulesOn(inputInterface: string): Rule[] {
    return this.list().filter((r) => r.input.interface === inputInterface);
  }
}

function check(byId: ReadonlyMap<string, Rule>, index: Index, rule: Rule, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (byId.has(rule.id)) issues.push({ path: `${path}.id`, message: `duplicate rule id "${rule.id}"` });
  const owner = index.byInput.get(inputKey(rule));
  if (owner !== undefined) {
    issues.push({
      path: `${path}.input`,
      message: isRangeInput(rule.input)
        ? `duplicate input range: rule "${owner}" already relays ${describeInput(rule)} (ranges of equal prefix length may not overlap; a longer prefix or an exact group may, and wins)`
        : `duplicate input: rule "${owner}" already relays ${describeInput(rule)}`,
    });
  }
  const input = inputRange(rule.input);
  rule.outputs.forEach((out, o) => {
    if (out.interface !== rule.input.interface || out.port !== rule.input.port) return;
    const base = parseIpAddress(out.group);
    if (out.group === rule.input.group && out.prefixLength === rule.input.prefixLength) {
      issues.push({ path: `${path}.outputs[${o}]`, message: `output is identical to the input on ${out.interface}: this would loop` });
    } else if (base && rangesOverlap(input, { base, prefixLength: out.prefixLength ?? ADDRESS_BITS[base.family] })) {
      issues.push({ path: `${path}.outputs[${o}]`, message: `output ${out.group}${out.prefixLength === undefined ? '' : `/${out.prefixLength}`} lies in the input's groups on ${out.interface}: this would loop` });
    }
  });
  if (byId.size >= RELAY_LIMITS.maxRules) {
    issues.push({ path, message: `the relay holds at most ${RELAY_LIMITS.maxRules} rules (RELAY_LIMITS.maxRules)` });
  }
  const iface = rule.input.interface;
  if (!index.interfaces.has(iface) && index.interfaces.size >= RELAY_LIMITS.maxInputInterfaces) {
    issues.push({ path: `${path}.input.interface`, message: `the relay reads at most ${RELAY_LIMITS.maxInputInterfaces} input interfaces (RELAY_LIMITS.maxInputInterfaces); ${iface} would be one more` });
  }
  const ranges = index.ranges.get(iface) ?? 0;
  if (isRangeInput(rule.input) && ranges >= NATIVE_LIMITS.maxRangeRulesPerTable) {
    issues.push({ path: `${path}.input.group`, message: `${iface} has ${ranges} range rules already, the most one input interface may have (NATIVE_LIMITS.maxRangeRulesPerTable)` });
  }
  const key = membershipKey(rule);
  const joined = index.joined.get(iface) ?? 0;
  if (key !== undefined && !index.groups.get(iface)?.has(key) && joined + membershipSize(rule) > RELAY_LIMITS.maxGroupsPerInterface) {
    const size = membershipSize(rule);
    issues.push({
      path: `${path}.input.group`,
      message:
        size === 1
          ? `${iface} has ${joined} groups already, the most one input interface may have (RELAY_LIMITS.maxGroupsPerInterface)`
          : `${iface} has ${joined} groups already and this range would join ${size} more, past the ${RELAY_LIMITS.maxGroupsPerInterface} one input interface may have (RELAY_LIMITS.maxGroupsPerInterface; join: false joins none)`,
    });
  }
  return issues;
}

/** Adds a checked rule to maps the caller owns (fresh copies, the interface's groups too: tables are immutable). */
function admit(byId: Map<string, Rule>, index: Index, rule: Rule): void {
  byId.set(rule.id, rule);
  index.byInput.set(inputKey(rule), rule.id);
  const iface = rule.input.interface;
  index.interfaces.set(iface, (index.interfaces.get(iface) ?? 0) + 1);
  if (isRangeInput(rule.input)) index.ranges.set(iface, (index.ranges.get(iface) ?? 0) + 1);
  const key = membershipKey(rule);
  if (key === undefined) return;
  let groups = index.groups.get(iface);
  if (!groups) index.groups.set(iface, (groups = new Map()));
  const n = groups.get(key) ?? 0;
  groups.set(key, n + 1);
  if (n === 0) index.joined.set(iface, (index.joined.get(iface) ?? 0) + membershipSize(rule));
}

export function describeInput(rule: Rule): string {
  const i = rule.input;
  const group = i.family === 'ipv6' || i.group.includes(':') ? `[${groupsText(i)}]` : groupsText(i);
  return `${group}:${i.port} on ${i.interface}${i.vlan === undefined ? '' : ` vlan ${i.vlan}`}${i.source ? ` from ${i.source}` : ''}`;
}
