import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { RELAY_LIMITS } from '../config/limits.js';
import type { Rule } from '../config/types.js';

/** The identity of a stream on the wire: two rules may not claim the same one. */
function inputKey(rule: Rule): string {
  const i = rule.input;
  return `${i.interface}|${i.group}|${i.port}|${i.source ?? '*'}|${i.vlan ?? 'untagged'}`;
}

/** What the limits are checked against; kept alongside the rules so a change checks only itself. */
interface Index {
  /** input key -> rule id */
  byInput: Map<string, string>;
  /** input interface -> group -> number of rules that read it */
  groups: Map<string, Map<string, number>>;
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

  static readonly empty = new RuleTable(new Map(), { byInput: new Map(), groups: new Map() });

  static from(rules: readonly Rule[], pathOf: (index: number) => string = (i) => `rules[${i}]`): RuleTable {
    const issues: ConfigIssue[] = [];
    const byId = new Map<string, Rule>();
    const index: Index = { byInput: new Map(), groups: new Map() };
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
    const index: Index = { byInput: new Map(this.index.byInput), groups: new Map(this.index.groups) };
    const issues = check(byId, index, rule, 'rule');
    if (issues.length > 0) throw new ConfigError(issues);
    index.groups.set(rule.input.interface, new Map(index.groups.get(rule.input.interface)));
    admit(byId, index, rule);
    return new RuleTable(byId, index);
  }

  /** A new table without the rule `id`; undefined when there is no such rule. */
  without(id: string): RuleTable | undefined {
    const rule = this.rules.get(id);
    if (!rule) return undefined;
    const byId = new Map(this.rules);
    byId.delete(id);
    const byInput = new Map(this.index.byInput);
    byInput.delete(inputKey(rule));
    const groups = new Map(this.index.groups);
    const { interface: iface, group } = rule.input;
    const onIface = new Map(groups.get(iface));
    const n = (onIface.get(group) ?? 1) - 1;
    if (n > 0) onIface.set(group, n);
    else onIface.delete(group);
    if (onIface.size > 0) groups.set(iface, onIface);
    else groups.delete(iface);
    return new RuleTable(byId, { byInput, groups });
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
    return [...this.index.groups.keys()];
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
    issues.push({ path: `${path}.input`, message: `duplicate input: rule "${owner}" already relays ${describeInput(rule)}` });
  }
  rule.outputs.forEach((out, o) => {
    if (out.interface === rule.input.interface && out.group === rule.input.group && out.port === rule.input.port) {
      issues.push({ path: `${path}.outputs[${o}]`, message: `output is identical to the input on ${out.interface}: this would loop` });
    }
  });
  if (byId.size >= RELAY_LIMITS.maxRules) {
    issues.push({ path, message: `the relay holds at most ${RELAY_LIMITS.maxRules} rules (RELAY_LIMITS.maxRules)` });
  }
  const { interface: iface, group } = rule.input;
  const groups = index.groups.get(iface);
  if (!groups && index.groups.size >= RELAY_LIMITS.maxInputInterfaces) {
    issues.push({ path: `${path}.input.interface`, message: `the relay reads at most ${RELAY_LIMITS.maxInputInterfaces} input interfaces (RELAY_LIMITS.maxInputInterfaces); ${iface} would be one more` });
  }
  if (groups && !groups.has(group) && groups.size >= RELAY_LIMITS.maxGroupsPerInterface) {
    issues.push({ path: `${path}.input.group`, message: `${iface} has ${groups.size} groups already, the most one input interface may have (RELAY_LIMITS.maxGroupsPerInterface)` });
  }
  return issues;
}

/** Adds a checked rule to maps the caller owns (fresh copies: tables are immutable). */
function admit(byId: Map<string, Rule>, index: Index, rule: Rule): void {
  byId.set(rule.id, rule);
  index.byInput.set(inputKey(rule), rule.id);
  const { interface: iface, group } = rule.input;
  let groups = index.groups.get(iface);
  if (!groups) index.groups.set(iface, (groups = new Map()));
  groups.set(group, (groups.get(group) ?? 0) + 1);
}

export function describeInput(rule: Rule): string {
  const i = rule.input;
  return `${i.group}:${i.port} on ${i.interface}${i.vlan === undefined ? '' : ` vlan ${i.vlan}`}${i.source ? ` from ${i.source}` : ''}`;
}
