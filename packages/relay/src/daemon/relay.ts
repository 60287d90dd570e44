import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { reserveRuleIds } from '../config/config-schema.js';
import { absentInterfaces, absentInterfacesPass, parseRule } from '../config/rule-schema.js';
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
import { tcUnavailable } from '../workers/tc-input.js';
import { absenceReason, type PendingRule } from './pending-rules.js';
import { InterfaceFaults } from './interface-faults.js';
import { RuleMemberships } from './memberships.js';
import { applyRuleChange, type RuleChange } from './rule-apply.js';
import { planReload, restartOnlyDifferences, type ReloadSummary } from './reload-plan.js';
import { StateStore } from './state-store.js';
import { buildStatsReport, type StatsReport } from './stats-report.js';
import { ReceiverDriven } from './receiver-driven.js';
import { openListenerSocket } from '../listeners/native-transport.js';
import { ReflectorSet } from '../reflectors/reflector-set.js';

/** Interfaces as the relay's namespace has them now: how `mcr add` and a pending rule's start check a rule. */
const LOOKUPS = { interfaceExists };
/**
 * A pending rule whose start failed in the workers (EAPPLY, workers that cannot start) is tried again
 * after this, not at every poll: each try is a whole rule change, pushed to every worker of its input.
 */
export const PENDING_RETRY_MS = 30_000;
/** A push of the listeners' gates that failed is tried again after this. */
const GATES_RETRY_MS = 200;

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
  /** Listener tracking, querier and on-demand joins for outputs with forward: "listeners". */
  private readonly receiverDriven: ReceiverDriven;
  /** Discovery reflectors (restart-only). */
  private readonly reflectors: ReflectorSet;
  /** A push of the listeners' gates to the workers is queued (one serves every change before it runs). */
  private gatesQueued = false;
  private stopping = false;
  private readonly faults: InterfaceFaults;
  private readonly watcher: InterfaceWatcher;
  private readonly linkEvents: LinkMonitor;
  private control: ControlServer | undefined;
  private metrics: MetricsServer | undefined;
  private changes: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  /** Ids the config file names; every other rule was added at runtime and is kept by a reload. */
  private fileIds: Set<string>;
  /** `--state FILE`: the runtime rules, saved as part of every change to them. */
  private readonly state: StateStore | undefined;
  /** The next N to try for a generated runtime id (`run-N`). */
  private nextRunId = 1;
  /**
   * Rules kept but not in the table (see PendingRule), in the order they became pending. Ids are
   * unique across the table and this map. Replaced whole by a change, never edited in place.
   */
  private pending: ReadonlyMap<string, PendingRule> = new Map();
  /** Pending rules whose start failed in the workers, and when to try them again. */
  private readonly pendingRetryAt = new Map<string, number>();

  constructor(
    private config: RelayConfig,
    private readonly log: Logger,
    private readonly options: RelayOptions = {},
  ) {
    this.fileIds = new Set(config.rules.map((r) => r.id));
    this.state = options.stateFile === undefined ? undefined : new StateStore(options.stateFile, log, { forget: config.testOnly.forgetState });
    this.pools = new InputPools(config, this.facts, log, (rule, out) => this.receiverDriven.gates(rule, out));
    this.memberships = new RuleMemberships(config.igmp.join, this.facts);
    this.receiverDriven = new ReceiverDriven({
      settings: config.igmp,
      ignoreLeaves: config.testOnly.ignoreLeaves,
      facts: this.facts,
      memberships: this.memberships,
      log,
      open: openListenerSocket,
      onChange: () => this.queueGates(),
    });
    this.reflectors = new ReflectorSet(config.reflectors, {
      log,
      ownMacs: () => this.facts.ownMacs(),
      noLoopCache: config.testOnly.noLoopCache,
      // A member (re)opened after its interface came back joins with the new ifindex, not the cached one.
      memberships: config.testOnly.noReflectorJoins
        ? null
        : {
            acquire: (joins) => {
              for (const j of joins) this.facts.forget(j.membership.interface);
              this.memberships.acquire(joins);
            },
            release: (joins) => this.memberships.release(joins),
          },
    });
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
    this.chooseEngine(caps);
    const saved = this.state ? this.loadSaved(this.state) : [];
    // A saved rule keeps its id even when the file has since gained id-less rules that would be named so.
    this.config = reserveRuleIds(this.config, new Set(saved.map((r) => r.id)));
    this.fileIds = new Set(this.config.rules.map((r) => r.id));
    // A file rule whose interface is absent (the file says waitForInterfaces) waits for it.
    const pending = new Map<string, PendingRule>();
    const present = this.config.rules.filter((rule) => {
      const absent = absentInterfaces(rule, interfaceExists);
      if (absent.length > 0) pending.set(rule.id, { id: rule.id, reason: absenceReason(absent), rule });
      return absent.length === 0;
    });
    const first = this.withSavedRules(RuleTable.from(present), saved, pending);
    await this.apply(first, { added: first.list(), removed: [] });
    this.setPending(pending);
    this.reflectors.start(this.log);
    const c = this.config.control;
    this.control = new ControlServer(
      { path: c.socket, mode: c.mode, idleTimeoutMs: c.idleTimeout * 1000, maxClients: c.maxClients, ...(c.group ? { group: c.group } : {}) },
      (req) =>
        dispatch(
          {
            ping: () => ({ pong: true, pid: process.pid, rules: this.table.size }),
            list: () => ({ rules: this.listedRules(), pending: this.pendingRules(), reflectors: this.config.reflectors }),
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
    this.watcher.start(
      () =>
        void this.serialise(async () => {
          await this.faults.onPoll(this.watcher.states());
          await this.startPending();
          this.reflectors.refresh();
          // A listened interface that came back (new ifindex) or got its address needs its segment reopened.
          this.receiverDriven.sync(this.table.list());
        }).catch((err) => this.log.error(`interface poll: ${(err as Error).message}`)),
    );
    this.linkEvents.start();
    this.log.info(`control socket ${this.config.control.socket}; ${this.table.size} rule(s)${this.pending.size > 0 ? ` and ${this.pending.size} pending` : ''}, ${this.config.workers} worker(s) per input interface, fanout ${this.config.fanout.mode}`);
  }

  rules(): Rule[] {
    return this.table.list();
  }

  /** The rules as `mcr list` shows them: a listeners output says whether it is forwarding now. */
  private listedRules(): Rule[] {
    return this.table.list().map((rule) =>
      rule.outputs.some((o) => o.forward === 'listeners')
        ? { ...rule, outputs: rule.outputs.map((out) => (out.forward === 'listeners' ? { ...out, forwarding: this.receiverDriven.forwardingNow(rule, out) } : out)) }
        : rule,
    );
  }

  /** The rules that wait (see PendingRule), with their reasons. */
  pendingRules(): PendingRule[] {
    return [...this.pending.values()];
  }

  addRule(raw: unknown): Promise<Rule> {
    return this.serialise(async () => {
      const parsed = parseRule(raw, LOOKUPS);
      const id = parsed.id ?? this.freshId();
      const rule: Rule = { ...parsed, id };
      if (this.table.has(id)) throw new ConfigError([{ path: 'rule.id', message: `a rule with id "${id}" exists already` }]);
      const waiting = this.pending.get(id);
      if (waiting) throw new ConfigError([{ path: 'rule.id', message: `a rule with id "${id}" exists already (pending: ${waiting.reason})` }]);
      const next = this.table.with(rule);
      await this.transact(next, { added: [rule], removed: [] }, this.runtimeRules(next));
      this.log.info(`rule ${id} added: ${describeInput(rule)}${rule.join === false ? ' (join: false)' : rule.join === 'on-demand' ? ' (join: on-demand)' : ''} -> ${rule.outputs.length} output(s)`);
      return rule;
    });
  }

  removeRule(id: string): Promise<Rule> {
    return this.serialise(async () => {
      const waiting = this.pending.get(id);
      if (waiting) {
        const pending = new Map(this.pending);
        pending.delete(id);
        await this.transact(this.table, { added: [], removed: [] }, this.runtimeRules(this.table, this.fileIds, pending));
        this.setPending(pending);
        this.log.info(`rule ${id} removed (it was pending: ${waiting.reason})`);
        return waiting.rule;
      }
      const rule = this.table.get(id);
      const next = this.table.without(id);
      if (!rule || !next) throw new ProtocolError('ENOTFOUND', `no rule with id "${id}"`);
      await this.transact(next, { added: [], removed: [rule] }, this.runtimeRules(next));
      this.log.info(`rule ${id} removed`);
      return rule;
    });
  }

  /**
   * Re-reads the config file and moves to its rules as one transaction (rule-apply.ts): unchanged
   * rules are not touched (their workers keep forwarding, their counters go on), added ones start,
   * removed ones stop and their groups are left, changed ones are replaced. Rules added at runtime
   * (running or pending) are kept unless the file names their id. A file rule whose interface is
   * absent (waitForInterfaces) is pending, unless the table runs that very rule already (its interface
   * went away at runtime: the interface watcher follows it). An invalid file throws ConfigError
   * (every problem, with its path) and changes nothing; so does a change a worker refuses (EAPPLY,
   * rolled back) or a state file that cannot be saved (ESTATE).
   */
  reload(): Promise<ReloadSummary> {
    return this.serialise(async () => {
      if (!this.options.loadConfig) throw new ProtocolError('EINVAL', 'this relay was not started from a config file');
      const runtimeIds = new Set(this.runtimeRules(this.table).map((r) => r.id));
      // The file's id-less rules never take a runtime rule's id: only a rule that names it does.
      const file = reserveRuleIds(this.options.loadConfig(), runtimeIds);
      const fileIds = new Set(file.rules.map((r) => r.id));
      const pending = new Map<string, PendingRule>();
      const present = file.rules.filter((rule) => {
        const absent = absentInterfaces(rule, interfaceExists);
        const running = this.table.get(rule.id);
        if (absent.length === 0 || (running !== undefined && isDeepStrictEqual(running, rule))) return true;
        pending.set(rule.id, { id: rule.id, reason: absenceReason(absent), rule });
        return false;
      });
      const keptPending: string[] = [];
      for (const [id, waiting] of this.pending) {
        if (this.fileIds.has(id) || fileIds.has(id)) continue; // the old file's, or named by the new one
        pending.set(id, waiting);
        keptPending.push(id);
      }
      const plan = planReload(this.table, new Set([...runtimeIds].filter((id) => !fileIds.has(id))), present);
      await this.transact(plan.next, plan.change, this.runtimeRules(plan.next, fileIds, pending));
      this.fileIds = fileIds;
      this.setPending(pending);
      const summary: ReloadSummary = {
        ...plan.summary,
        kept: [...plan.summary.kept, ...keptPending],
        pending: [...pending.keys()],
        ignoredUntilRestart: restartOnlyDifferences(this.config, file),
      };
      if (file.logLevel !== this.config.logLevel) {
        this.log.level = file.logLevel;
        summary.applied.push(`logLevel ${this.config.logLevel} -> ${file.logLevel}`);
      }
      if (file.waitForInterfaces !== this.config.waitForInterfaces) {
        summary.applied.push(`waitForInterfaces ${this.config.waitForInterfaces} -> ${file.waitForInterfaces}`);
      }
      // What runs is what the running config says, except the rules and what was applied.
      this.config = { ...this.config, rules: file.rules, generatedIds: file.generatedIds, logLevel: file.logLevel, waitForInterfaces: file.waitForInterfaces };
      return summary;
    });
  }

  /** dataPlane.engine "tc" needs CAP_BPF, CAP_NET_ADMIN and a kernel that runs the program: else no start; "auto" falls back, logged. */
  private chooseEngine(caps: ReturnType<typeof effectiveCapabilities>): void {
    const engine = this.config.dataPlane.engine;
    if (engine === 'packet') return;
    const why = tcUnavailable(caps);
    if (why === null) {
      this.log.info(`dataPlane.engine "${engine}": the tc engine forwards ${engine === 'tc' ? 'every rule' : 'the rules it can take'} from each input's tc ingress`);
      return;
    }
    if (engine === 'tc') throw new Error(`dataPlane.engine "tc": ${why} (see README "Running without root")`);
    this.log.warn(`dataPlane.engine "auto": the packet engine forwards every rule: ${why}`);
    this.pools.tcEngine = null;
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
      pending: this.pendingRules(),
      stateFile: this.state?.status ?? null,
      listeners: this.receiverDriven.rows(),
      queriers: this.receiverDriven.queriers(),
      membershipEvents: this.receiverDriven.events(),
      forwardingNow: (rule, out) => this.receiverDriven.forwardingNow(rule, out),
      engineOf: (rule) => this.pools.engineOf(rule.input.interface, rule.id),
      reflectors: this.reflectors.rows(),
    });
  }

  /** Stops taking requests, stops the workers, leaves every group. Returns the final stats. */
  async shutdown(): Promise<StatsReport> {
    this.stopping = true;
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
    this.receiverDriven.close();
    this.reflectors.close();
    this.memberships.close();
    return final;
  }

  private async apply(next: RuleTable, change: RuleChange): Promise<void> {
    try {
      await applyRuleChange({ pools: this.pools, memberships: this.memberships, log: this.log }, this.table, next, change);
      this.table = next;
      this.receiverDriven.sync(next.list());
    } finally {
      // Facts of interfaces no rule uses are not watched: read them afresh when a rule names them again.
      this.facts.retainOnly(this.interfacesInUse());
    }
  }

  /**
   * Moves the table to `next` and the state file (if any) to `runtime`, as one change. The new file is
   * written and synced before anything else moves, so a full disk refuses the change (ESTATE) with
   * the relay as it was; then the table is applied (a worker's refusal discards the file); then the
   * file is renamed into place, and if even that fails the table change is undone.
   */
  private async transact(next: RuleTable, change: RuleChange, runtime: readonly Rule[]): Promise<void> {
    const before = this.table;
    const write = this.state?.prepare(runtime) ?? null;
    try {
      if (change.added.length > 0 || change.removed.length > 0) await this.apply(next, change);
      else this.table = next;
    } catch (err) {
      write?.discard();
      throw err;
    }
    if (!write) return;
    try {
      this.state!.commit(write);
    } catch (err) {
      await this.undo(before, change);
      throw err;
    }
  }

  /** Takes back a change that was applied but could not be saved: the table as it was, the file too if it can be. */
  private async undo(before: RuleTable, change: RuleChange): Promise<void> {
    try {
      if (change.added.length > 0 || change.removed.length > 0) await this.apply(before, { added: change.removed, removed: change.added });
      else this.table = before;
    } catch (err) {
      this.log.error(`undoing a rule change that could not be saved: ${(err as Error).message}`);
    }
    try {
      const write = this.state!.prepare(this.runtimeRules(this.table));
      if (write) this.state!.commit(write);
    } catch {
      // already logged by the state store; the next change tries again
    }
  }

  /**
   * The rules the config file does not name, running in `table` or pending: what the state file
   * keeps. A pending rule stays in it through every save until it runs or is removed.
   */
  private runtimeRules(table: RuleTable, fileIds: ReadonlySet<string> = this.fileIds, pending: ReadonlyMap<string, PendingRule> = this.pending): Rule[] {
    return [...table.list(), ...[...pending.values()].map((p) => p.rule)].filter((r) => !fileIds.has(r.id));
  }

  /** Moves to `pending`, logging each rule that starts to wait or waits for another reason. */
  private setPending(pending: ReadonlyMap<string, PendingRule>): void {
    for (const [id, waiting] of pending) {
      if (this.pending.get(id)?.reason !== waiting.reason) this.log.warn(`rule ${id} is pending: ${waiting.reason}`, { rule: id });
    }
    for (const id of this.pendingRetryAt.keys()) if (!pending.has(id)) this.pendingRetryAt.delete(id);
    this.pending = pending;
  }

  /**
   * Starts the pending rules that can run now (on every interface watcher poll: within a second of an
   * interface appearing, or at once on its rtnetlink event). Each is checked again as `mcr add` checks
   * a rule, now that its interfaces exist, and added as one rule change; one that still cannot run
   * stays pending with the reason. The state file already holds it: nothing is written.
   */
  private async startPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const pending = new Map(this.pending);
    let started = false;
    for (const [id, waiting] of this.pending) {
      if ((this.pendingRetryAt.get(id) ?? 0) > Date.now()) continue;
      this.pendingRetryAt.delete(id);
      const absent = absentInterfaces(waiting.rule, interfaceExists);
      if (absent.length > 0) {
        pending.set(id, { ...waiting, reason: absenceReason(absent) });
        continue;
      }
      let rule: Rule;
      let next: RuleTable;
      try {
        rule = { ...parseRule(waiting.rule, LOOKUPS), id };
        next = this.table.with(rule);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        pending.set(id, { ...waiting, reason: err.issues.map((i) => `${i.path.replace(/^rule\.?/, '') || 'rule'}: ${i.message}`).join('; ') });
        continue;
      }
      for (const name of new Set([rule.input.interface, ...rule.outputs.map((o) => o.interface)])) this.facts.forget(name);
      try {
        await this.apply(next, { added: [rule], removed: [] });
      } catch (err) {
        pending.set(id, { ...waiting, reason: `cannot start: ${(err as Error).message}` });
        this.pendingRetryAt.set(id, Date.now() + PENDING_RETRY_MS);
        continue;
      }
      pending.delete(id);
      this.pending = new Map([...this.pending].filter(([other]) => other !== id)); // the table has it now
      started = true;
      this.log.info(`rule ${id} is no longer pending: ${describeInput(rule)} -> ${rule.outputs.length} output(s)`, { rule: id });
    }
    this.setPending(pending);
    if (started) {
      // An interface that has just appeared is often still being set up (its address comes next),
      // and the watcher did not read it while no running rule used it: read it now, so what
      // changed while the rules started is applied at once rather than at the next poll.
      this.watcher.poll();
      await this.faults.onPoll(this.watcher.states());
    }
  }

  /** The rules the state file holds; one that does not pass its checks any more is logged and skipped. */
  private loadSaved(state: StateStore): Rule[] {
    // A saved rule whose interface is absent is kept (pending), so its interfaces are not checked here.
    const { rules, skipped } = state.load(absentInterfacesPass(LOOKUPS));
    for (const issue of skipped) this.log.warn(`state file ${state.path}: skipping a saved rule: ${issue.path}: ${issue.message}`);
    return rules;
  }

  /**
   * Adds the saved runtime rules the file does not name; one whose interface is absent goes to
   * `pending`, one that no longer fits is logged and skipped.
   */
  private withSavedRules(table: RuleTable, rules: readonly Rule[], pending: Map<string, PendingRule>): RuleTable {
    const file = this.state?.path;
    let restored = 0;
    for (const rule of rules) {
      if (this.fileIds.has(rule.id)) {
        this.log.info(`state file ${file}: rule ${rule.id} is in the config file, which wins`);
        continue;
      }
      if (table.has(rule.id) || pending.has(rule.id)) {
        this.log.warn(`state file ${file}: skipping rule ${rule.id}: its id is taken`);
        continue;
      }
      const absent = absentInterfaces(rule, interfaceExists);
      if (absent.length > 0) {
        pending.set(rule.id, { id: rule.id, reason: absenceReason(absent), rule });
        restored++;
        continue;
      }
      try {
        table = table.with(rule);
        restored++;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        this.log.warn(`state file ${file}: skipping rule ${rule.id}: ${err.message}`);
      }
    }
    if (rules.length > 0) this.log.info(`state file ${file}: ${restored} runtime rule(s) restored`);
    return table;
  }

  /**
   * The listeners of a segment changed: queue one push of every listened input's table (gates follow
   * the listeners) and of the on-demand joins, behind whatever change runs now. Joins come first, so
   * a new listener's stream is on its way upstream while the workers take their gates.
   */
  private queueGates(): void {
    if (this.gatesQueued || this.stopping) return;
    this.gatesQueued = true;
    void this.serialise(async () => {
      this.gatesQueued = false;
      if (this.stopping) return;
      const rules = this.table.list();
      this.receiverDriven.syncJoins(rules);
      const inputs = new Set(rules.filter((r) => r.outputs.some((o) => o.forward === 'listeners')).map((r) => r.input.interface));
      await Promise.all(
        [...inputs].map(async (iface) => {
          const pool = this.pools.get(iface);
          if (pool) await pool.setRules(this.pools.tableFor(iface, this.table));
        }),
      );
    }).catch((err) => {
      // A worker that could not take its gates (restarting, refused) keeps the old ones: try again soon
      // rather than wait for the next listener change, which may never come.
      this.log.error(`applying the listeners' gates: ${(err as Error).message}; retrying in ${GATES_RETRY_MS} ms`);
      setTimeout(() => this.queueGates(), GATES_RETRY_MS).unref();
    });
  }

  private serialise<T>(change: () => Promise<T>): Promise<T> {
    const run = this.changes.then(change, change);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /**
   * An id for a rule added without one: `run-N`, a namespace of its own, so that it can never be an
   * id the config file generates for its id-less rules (`rule-N`), whatever the file later holds.
   */
  private freshId(): string {
    while (this.table.has(`run-${this.nextRunId}`) || this.pending.has(`run-${this.nextRunId}`)) this.nextRunId++;
    return `run-${this.nextRunId++}`;
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
    if (t.noWorkerRestart) this.log.warn('TEST-ONLY testOnly.noWorkerRestart is ON: a worker that dies is not restarted');
    if (t.forgetState) this.log.warn('TEST-ONLY testOnly.forgetState is ON: the state file is never written');
    if (t.noLoopCache) this.log.warn('TEST-ONLY testOnly.noLoopCache is ON: reflectors ignore their loop cache; a loop of reflectors will storm');
    if (t.noReflectorJoins) this.log.warn('TEST-ONLY testOnly.noReflectorJoins is ON: reflectors join no group; a snooping switch sends them nothing');
  }
}
