import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import type { Rule } from '../config/types.js';

/** The identity of a stream on the wire: two rules may not claim the same one. */
function inputKey(rule: Rule): string {
  const i = rule.input;
  return `${i.interface}|${i.group}|${i.port}|${i.source ?? '*'}`;
}

/**
 * The relay's rules: immutable. Every change returns a new table, so the daemon can validate a change
 * completely before anything (IGMP, workers) is touched, and a rejected change leaves the old table
 * in force.
 */
export class RuleTable {
  private constructor(private readonly rules: ReadonlyMap<string, Rule>) {}

  static readonly empty = new RuleTable(new Map());

  static from(rules: readonly Rule[], pathOf: (index: number) => string = (i) => `rules[${i}]`): RuleTable {
    const issues: ConfigIssue[] = [];
    const byId = new Map<string, Rule>();
    const byInput = new Map<string, string>();
    rules.forEach((rule, index) => {
      const path = pathOf(index);
      if (byId.has(rule.id)) issues.push({ path: `${path}.id`, message: `duplicate rule id "${rule.id}"` });
      const key = inputKey(rule);
      const owner = byInput.get(key);
      if (owner !== undefined) {
        issues.push({ path: `${path}.input`, message: `duplicate input: rule "${owner}" already relays ${describeInput(rule)}` });
      }
      rule.outputs.forEach((out, o) => {
        if (out.interface === rule.input.interface && out.group === rule.input.group && out.port === rule.input.port) {
          issues.push({ path: `${path}.outputs[${o}]`, message: `output is identical to the input on ${out.interface}: this would loop` });
        }
      });
      byId.set(rule.id, rule);
      byInput.set(key, rule.id);
    });
    if (issues.length > 0) throw new ConfigError(issues);
    return new RuleTable(byId);
  }

  /** A new table with `rule` added; throws ConfigError (paths under `rule`) and leaves this one as it was. */
  with(rule: Rule): RuleTable {
    const existing = [...this.rules.values()];
    return RuleTable.from([...existing, rule], (i) => (i === existing.length ? 'rule' : `rules[${i}]`));
  }

  /** A new table without the rule `id`; undefined when there is no such rule. */
  without(id: string): RuleTable | undefined {
    if (!this.rules.has(id)) return undefined;
    const next = new Map(this.rules);
    next.delete(id);
    return new RuleTable(next);
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
    return [...new Set(this.list().map((r) => r.input.interface))];
  }

  rulesOn(inputInterface: string): Rule[] {
    return this.list().filter((r) => r.input.interface === inputInterface);
  }
}

export function describeInput(rule: Rule): string {
  const i = rule.input;
  return `${i.group}:${i.port} on ${i.interface}${i.source ? ` from ${i.source}` : ''}`;
}
