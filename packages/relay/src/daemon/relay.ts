import { ConfigError } from '../config/config-error.js';
import { parseRule } from '../config/rule-schema.js';
import type { RelayConfig, Rule } from '../config/types.js';
import { ControlServer } from '../control/control-server.js';
import { ProtocolError } from '../control/protocol.js';
import type { Logger } from '../log.js';
import { parseListenAddress } from '../metrics/listen-address.js';
import { MetricsServer } from '../metrics/metrics-server.js';
import { InterfaceFactsCache } from '../net/interface-facts.js';
import { InterfaceWatcher } from '../net/interface-watcher.js';
import { LinkMonitor } from '../net/link-monitor.js';
import { InterfaceRenames } from '../net/renames.js';
import { effectiveCapabilities } from '../net/capabilities.js';
import { interfaceExists } from '../net/interfaces.js';
import { describeInput, RuleTable } from '../rules/rule-table.js';
import { dispatch } from './control-dispatch.js';
import { InputPools } from './input-pools.js';
import { InterfaceFaults } from './interface-faults.js';
import { RuleMemberships } from './memberships.js';
import { applyRuleChange, type RuleChange } from './rule-apply.js';
import { planReload, restartOnlyDifferences, type ReloadSummary } from './reload-plan.js';
import { readStateFile, writeStateFile } from './state-file.js';
import { buildStatsReport, type StatsReport } from './stats-report.js';

export interface RelayOptions {
  /** Re-read by reload(): a SIGHUP or `mcr reload`. */
  configFile?: string;
  /** Reads the config file as `mcr run` does, command-line overrides applied. */
  loadConfig?: () => RelayConfig;
  /** `--state FILE`: the rules added at runtime, kept across restarts. */
  stateFile?: string;
}

/**
 * The daemon: owns the rule table and wires the parts that act on it: the worker pools of the input
 * interfaces, the IGMP memberships, the interface watcher and the control socket. Every change (a
 * request, an interface event) runs one at a time; a rule change is a transaction (rule-apply.ts)
 * that either reaches every worker or leaves the relay exactly as it was.
 */
export class Relay {
  private table = RuleTable.empty;
  private readonly renames = new InterfaceRenames();
  private readonly facts = new InterfaceFactsCache(this.renames);
  private readonly pools: InputPools;
  private readonly memberships: RuleMemberships;
  private readonly faults: InterfaceFaults;
  private readonly watcher: InterfaceWatcher;
  private readonly linkEvents: LinkMonitor;
  private control: ControlServer | undefined;
  private metrics: MetricsServer | undefined;
  private changes: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  /** Ids the config file names; every other rule was added at runtime and is kept by a reload. */
  private fileIds: Set<string>;

  constructor(
    private config: RelayConfig,
    private readonly log: Logger,
    private readonly options: RelayOptions = {},
  ) {
    this.fileIds = new Set(config.rules.map((r) => r.id));
    this.pools = new InputPools(config, this.facts, log);
    this.memberships = new RuleMemberships(config.igmp.join, this.facts);
    this.faults = new InterfaceFaults(this.pools, this.memberships, this.facts, () => this.table, log);
    this.watcher = new InterfaceWatcher(
      () => this.interfacesInUse(),
      (change) => void this.serialise(() => this.faults.onChange(change)).catch((err) => log.error(`interface ${change.name}: ${(err as Error).message}`)),
      undefined,
      this.renames,
      (configured, now) => {
        this.faults.events.renamed++;
        log.warn(`interface ${configured} was renamed to ${now}: followed by ifindex (rules keep the name ${configured})`, { interface: configured, renamedTo: now });
      },
    );
    this.linkEvents = new LinkMonitor(() => this.watcher.pollNow(), log);
  }

  /** Starts workers for the configured rules, joins their groups, then opens the control socket. */
  async start(): Promise<void> {
    this.warnTestOnly();
    const caps = effectiveCapabilities();
    const uid = process.getuid?.() ?? -1;
    this.log.info(`running as uid ${uid} with ${caps === null ? 'unknown capabilities' : caps.size === 0 ? 'neither CAP_NET_RAW nor CAP_NET_ADMIN' : [...caps].map((c) => `CAP_${c.toUpperCase()}`).join(', ')}`, {
      uid,
      capabilities: caps === null ? null : [...caps].join(','),
    });
    let first = RuleTable.from(this.config.rules);
    if (this.options.stateFile) first = this.withSavedRules(first, this.options.stateFile);
    await this.apply(first, { added: first.list(), removed: [] });
    const c = this.config.control;
    this.control = new ControlServer(
      { path: c.socket, mode: c.mode, idleTimeoutMs: c.idleTimeout * 1000, maxClients: c.maxClients, ...(c.group ? { group: c.group } : {}) },
      (req) =>
        dispatch(
          {
            ping: () => ({ pong: true, pid: process.pid, rules: this.table.size }),
            list: () => this.rules(),
            stats: () => this.stats(),
            add: (raw) => this.addRule(raw),
            remove: (id) => this.removeRule(id),
            reload: () => this.reload(),
          },
          req,
        ),
    );
    await this.control.listen();
    if (this.config.metrics) {
      const address = parseListenAddress(this.config.metrics.listen);
      if (typeof address === 'string') throw new ConfigError([{ path: 'metrics.listen', message: address }]);
      this.metrics = new MetricsServer(address, () => this.stats(), this.log);
      await this.metrics.listen();
    }
    this.watcher.start(() => void this.serialise(() => this.faults.onPoll(this.watcher.states())).catch((err) => this.log.error(`interface poll: ${(err as Error).message}`)));
    this.linkEvents.start();
    this.log.info(`control socket ${this.config.control.socket}; ${this.table.size} rule(s), ${this.config.workers} worker(s) per input interface, fanout ${this.config.fanout.mode}`);
  }

  rules(): Rule[] {
    return this.table.list();
  }

  addRule(raw: unknown): Promise<Rule> {
    return this.serialise(async () => {
      const parsed = parseRule(raw, { interfaceExists });
      const id = parsed.id ?? this.freshId();
      const rule: Rule = { ...parsed, id };
      if (this.table.has(id)) throw new ConfigError([{ path: 'rule.id', message: `a rule with id "${id}" exists already` }]);
      await this.apply(this.table.with(rule), { added: [rule], removed: [] });
      this.saveState();
      this.log.info(`rule ${id} added: ${describeInput(rule)}${rule.join === false ? ' (join: false)' : ''} -> ${rule.outputs.length} output(s)`);
      return rule;
    });
  }

  removeRule(id: string): Promise<Rule> {
    return this.serialise(async () => {
      const rule = this.table.get(id);
      const next = this.table.without(id);
      if (!rule || !next) throw new ProtocolError('ENOTFOUND', `no rule with id "${id}"`);
      await this.apply(next, { added: [], removed: [rule] });
      this.saveState();
      this.log.info(`rule ${id} removed`);
      return rule;
    });
  }

  /**
   * Re-reads the config file and moves to its rules as one transaction (rule-apply.ts): unchanged
   * rules are not touched (their workers keep forwarding, their counters go on), added ones start,
   * removed ones stop and their groups are left, changed ones are replaced. Rules added at runtime are
   * kept unless the file names their id. An invalid file throws ConfigError (every problem, with its
   * path) and changes nothing; so does a change a worker refuses (EAPPLY, rolled back).
   */
  reload(): Promise<ReloadSummary> {
    return this.serialise(async () => {
      if (!this.options.loadConfig) throw new ProtocolError('EINVAL', 'this relay was not started from a config file');
      const file = this.options.loadConfig();
      const runtimeIds = new Set(this.table.list().filter((r) => !this.fileIds.has(r.id)).map((r) => r.id));
      const plan = planReload(this.table, runtimeIds, file.rules);
      const { change } = plan;
      if (change.added.length > 0 || change.removed.length > 0) await this.apply(plan.next, change);
      this.fileIds = new Set(file.rules.map((r) => r.id));
      const summary: ReloadSummary = { ...plan.summary, ignoredUntilRestart: restartOnlyDifferences(this.config, file) };
      if (file.logLevel !== this.config.logLevel) {
        this.log.level = file.logLevel;
        summary.applied.push(`logLevel ${this.config.logLevel} -> ${file.logLevel}`);
      }
      // What runs is what the running config says, except the rules and what was applied.
      this.config = { ...this.config, rules: file.rules, logLevel: file.logLevel };
      this.saveState();
      return summary;
    });
  }

  async stats(): Promise<StatsReport> {
    return buildStatsReport({
      rules: this.table.list(),
      workers: await this.pools.snapshot(),
      igmp: this.memberships.counters,
      memberships: this.memberships.list(),
      interfaces: this.watcher.states().map((s) => ({ ...s, fanout: this.pools.get(s.name)?.fanout ?? null })),
      interfaceEvents: { ...this.faults.events },
      startedAt: this.startedAt,
    });
  }

  /** Stops taking requests, stops the workers, leaves every group. Returns the final stats. */
  async shutdown(): Promise<StatsReport> {
    this.linkEvents.stop();
    this.watcher.stop();
    await this.control?.close();
    await this.metrics?.close();
    this.log.debug('shutdown: control socket closed');
    await this.changes.catch(() => undefined);
    const final = await this.stats();
    this.log.debug('shutdown: final stats taken');
    await this.pools.stopAll();
    this.log.debug('shutdown: workers stopped');
    this.memberships.close();
    return final;
  }

  private async apply(next: RuleTable, change: RuleChange): Promise<void> {
    try {
      await applyRuleChange({ pools: this.pools, memberships: this.memberships, log: this.log }, this.table, next, change);
      this.table = next;
    } finally {
      // Facts of interfaces no rule uses are not watched: read them afresh when a rule names them again.
      this.facts.retainOnly(this.interfacesInUse());
    }
  }

  /** The runtime rules (those the config file does not name) to the state file, if there is one. */
  private saveState(): void {
    const file = this.options.stateFile;
    if (!file) return;
    try {
      writeStateFile(file, this.table.list().filter((r) => !this.fileIds.has(r.id)));
    } catch (err) {
      this.log.error(`state file ${file}: cannot save the runtime rules: ${(err as Error).message}`);
    }
  }

  /** Adds the saved runtime rules the file does not name; one that no longer fits is logged and skipped. */
  private withSavedRules(table: RuleTable, file: string): RuleTable {
    const { rules, skipped } = readStateFile(file, { interfaceExists });
    for (const issue of skipped) this.log.warn(`state file ${file}: skipping a saved rule: ${issue.path}: ${issue.message}`);
    for (const rule of rules) {
      if (this.fileIds.has(rule.id)) {
        this.log.info(`state file ${file}: rule ${rule.id} is in the config file, which wins`);
        continue;
      }
      try {
        table = table.with(rule);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        this.log.warn(`state file ${file}: skipping rule ${rule.id}: ${err.message}`);
      }
    }
    if (rules.length > 0) this.log.info(`state file ${file}: ${table.size - this.config.rules.length} runtime rule(s) restored`);
    return table;
  }

  private serialise<T>(change: () => Promise<T>): Promise<T> {
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => undefined);
    return run;
  }

  private freshId(): string {
    let n = this.table.size + 1;
    while (this.table.has(`rule-${n}`)) n++;
    return `rule-${n}`;
  }

  private interfacesInUse(): string[] {
    const names = new Set<string>();
    for (const rule of this.table.list()) {
      names.add(rule.input.interface);
      for (const out of rule.outputs) names.add(out.interface);
    }
    return [...names];
  }

  /** TEST-ONLY switches make the relay unsafe or slow on purpose: nobody may miss that they are on. */
  private warnTestOnly(): void {
    const t = this.config.testOnly;
    if (t.disableLoopGuard) {
      this.log.warn('TEST-ONLY testOnly.disableLoopGuard is ON: own frames are relayed and every output TTL is "set"; a loop will storm');
    }
    if (t.fanoutIgnoreOutgoingUnsupported) {
      this.log.warn('TEST-ONLY testOnly.fanoutIgnoreOutgoingUnsupported is ON: workers join their fanout groups without PACKET_FANOUT_FLAG_IGNORE_OUTGOING');
    }
    if (t.injectedWorkNanos > 0) {
      this.log.warn(`TEST-ONLY testOnly.injectedWorkNanos is ${t.injectedWorkNanos}: every worker wastes that long per frame`);
    }
  }
}
