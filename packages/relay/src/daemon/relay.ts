import { MembershipSocket } from '@mcr/relay-native';
import { ConfigError } from '../config/config-error.js';
import { parseRule } from '../config/rule-schema.js';
import type { RelayConfig, Rule } from '../config/types.js';
import { ControlServer } from '../control/control-server.js';
import { failure, ok, ProtocolError, type Request, type Response } from '../control/protocol.js';
import { IgmpMemberships } from '../igmp/igmp-memberships.js';
import type { Logger } from '../log.js';
import { interfaceExists, interfaceInfo } from '../net/interfaces.js';
import { InterfaceWatcher, type InterfaceChange } from '../net/interface-watcher.js';
import { RuleTable } from '../rules/rule-table.js';
import { WorkerPool } from '../workers/worker-pool.js';
import { nativeRulesFor } from './native-rules.js';
import { buildStatsReport, type StatsReport } from './stats-report.js';

/** (interface, group, rule) triples the rule table needs joined. */
function membershipsOf(table: RuleTable): Array<[string, string, string]> {
  return table.list().map((r) => [r.input.interface, r.input.group, r.id]);
}

const key = (m: [string, string, string]) => m.join('|');

/**
 * The daemon: owns the rule table, the IGMP memberships, a worker pool per input interface and the
 * control socket. Every change goes through `apply`, one at a time: validate the whole new table first,
 * then join, then swap tables in the workers, then leave; a change that fails part-way is rolled back,
 * so a bad request leaves the running relay exactly as it was.
 */
export class Relay {
  private table = RuleTable.empty;
  private readonly pools = new Map<string, WorkerPool>();
  private readonly igmp = new IgmpMemberships({ openSocket: () => new MembershipSocket(), ifindexOf: (name) => interfaceInfo(name).ifindex });
  private control: ControlServer | undefined;
  private changes: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  /** Input interfaces whose workers were stopped because the interface disappeared. */
  private readonly missing = new Set<string>();
  private readonly interfaceEvents = { down: 0, up: 0, gone: 0, back: 0 };
  private readonly watcher = new InterfaceWatcher(
    () => this.interfacesInUse(),
    (change) => void this.serialise(() => this.onInterfaceChange(change)).catch((err) => this.log.error(`interface ${change.name}: ${(err as Error).message}`)),
  );
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: RelayConfig,
    private readonly log: Logger,
  ) {}

  /** Starts workers for the configured rules, joins their groups, then opens the control socket. */
  async start(): Promise<void> {
    await this.apply(RuleTable.from(this.config.rules));
    const c = this.config.control;
    this.control = new ControlServer(
      { path: c.socket, mode: c.mode, idleTimeoutMs: c.idleTimeout * 1000, maxClients: c.maxClients, ...(c.group ? { group: c.group } : {}) },
      (req) => this.handle(req),
    );
    await this.control.listen();
    this.watcher.start();
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
      await this.apply(this.table.with(rule));
      this.log.info(`rule ${id} added: ${rule.input.group}:${rule.input.port} on ${rule.input.interface} -> ${rule.outputs.length} output(s)`);
      return rule;
    });
  }

  removeRule(id: string): Promise<Rule> {
    return this.serialise(async () => {
      const rule = this.table.get(id);
      const next = this.table.without(id);
      if (!rule || !next) throw new ProtocolError('ENOTFOUND', `no rule with id "${id}"`);
      await this.apply(next);
      this.log.info(`rule ${id} removed`);
      return rule;
    });
  }

  async stats(): Promise<StatsReport> {
    const workers = (await Promise.all([...this.pools.values()].map((p) => p.snapshot()))).flat();
    return buildStatsReport({
      rules: this.table.list(),
      workers,
      igmp: { ...this.igmp.counters },
      memberships: this.igmp.list(),
      interfaces: { states: this.watcher.states(), events: { ...this.interfaceEvents } },
      startedAt: this.startedAt,
    });
  }

  /** Stops taking requests, stops the workers, leaves every group. Returns the final stats. */
  async shutdown(): Promise<StatsReport> {
    this.watcher.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.control?.close();
    this.log.debug('shutdown: control socket closed');
    await this.changes.catch(() => undefined);
    const final = await this.stats();
    this.log.debug('shutdown: final stats taken');
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
    this.log.debug('shutdown: workers stopped');
    this.pools.clear();
    this.igmp.close();
    return final;
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

  /** Moves the relay from the current table to `next`, or leaves everything as it was and throws. */
  private async apply(next: RuleTable): Promise<void> {
    const nativeTables = new Map(
      next
        .inputInterfaces()
        .filter((iface) => !this.missing.has(iface))
        .map((iface) => [iface, nativeRulesFor(next.rulesOn(iface), interfaceInfo)]),
    );

    const before = new Set(membershipsOf(this.table).map(key));
    const after = membershipsOf(next);
    const joins = this.config.igmp.join ? after.filter((m) => !before.has(key(m))) : [];
    const afterKeys = new Set(after.map(key));
    const leaves = this.config.igmp.join ? membershipsOf(this.table).filter((m) => !afterKeys.has(key(m))) : [];

    const joined: Array<[string, string, string]> = [];
    try {
      for (const m of joins) {
        this.igmp.acquire(...m);
        joined.push(m);
      }
    } catch (err) {
      for (const m of joined) this.igmp.release(...m);
      const e = err as Error & { code?: string };
      throw new ProtocolError('EJOIN', `IGMP join failed: ${e.message}`);
    }

    const created: string[] = [];
    try {
      for (const [iface, rules] of nativeTables) {
        const pool = this.pools.get(iface);
        if (pool) continue;
        created.push(iface);
        await this.startPool(iface, rules);
      }
    } catch (err) {
      for (const iface of created) {
        await this.pools.get(iface)?.stop();
        this.pools.delete(iface);
      }
      for (const m of joined) this.igmp.release(...m);
      throw err;
    }

    for (const [iface, rules] of nativeTables) if (!created.includes(iface)) this.pools.get(iface)!.setRules(rules);
    for (const m of leaves) this.igmp.release(...m);
    for (const [iface, pool] of this.pools) {
      if (nativeTables.has(iface)) continue;
      this.pools.delete(iface);
      await pool.stop(); // no rule reads this interface any more
    }
    for (const iface of this.missing) if (next.rulesOn(iface).length === 0) this.missing.delete(iface);
    this.table = next;
  }

  private interfacesInUse(): string[] {
    const names = new Set<string>();
    for (const rule of this.table.list()) {
      names.add(rule.input.interface);
      for (const out of rule.outputs) names.add(out.interface);
    }
    return [...names];
  }

  /**
   * An interface went down, disappeared, or came back. Down and up need nothing from us: sockets and
   * memberships survive. Gone stops that interface's workers (their sockets are bound to a dead
   * ifindex); back (a new ifindex) re-joins its groups and rebinds workers and output sockets.
   */
  private async onInterfaceChange({ name, before, after }: InterfaceChange): Promise<void> {
    if (after.ifindex === null) {
      this.interfaceEvents.gone++;
      this.log.warn(`interface ${name} disappeared: forwarding through it stops until it is back`);
      const pool = this.pools.get(name);
      if (pool) {
        this.pools.delete(name);
        this.missing.add(name);
        await pool.stop();
      }
      return;
    }
    if (before.ifindex !== after.ifindex) {
      this.interfaceEvents.back++;
      this.log.info(`interface ${name} is back (ifindex ${after.ifindex}): re-joining and rebinding`);
      if (this.config.igmp.join) this.igmp.rejoin(name);
      await this.rebind();
      return;
    }
    if (after.up) this.interfaceEvents.up++;
    else this.interfaceEvents.down++;
    this.log[after.up ? 'info' : 'warn'](`interface ${name} is ${after.up ? 'up' : 'down'}`);
  }

  /** Refreshes every worker's table (ifindexes, addresses) and restarts workers of interfaces that are back. */
  private async rebind(): Promise<void> {
    try {
      for (const iface of this.table.inputInterfaces()) {
        const rules = nativeRulesFor(this.table.rulesOn(iface), interfaceInfo);
        const pool = this.pools.get(iface);
        if (pool) pool.setRules(rules);
        else if (this.missing.has(iface) && interfaceExists(iface)) {
          await this.startPool(iface, rules);
          this.missing.delete(iface);
        }
      }
    } catch (err) {
      // An interface that just came back may not have its address yet: try again shortly.
      this.log.warn(`rebinding after an interface change: ${(err as Error).message}; retrying in 1 s`);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.serialise(() => this.rebind()), 1000);
    }
  }

  private async startPool(iface: string, rules: ReturnType<typeof nativeRulesFor>): Promise<void> {
    let startError: string | undefined;
    const pool = new WorkerPool({
      interface: iface,
      ifindex: interfaceInfo(iface).ifindex,
      workers: this.config.workers,
      fanout: this.config.fanout,
      dataPlane: this.config.dataPlane,
      log: this.log,
      onFatal: (message) => {
        startError = message;
      },
    });
    this.pools.set(iface, pool);
    await pool.start(rules);
    if (startError !== undefined) throw new ProtocolError('EINTERNAL', `workers on ${iface} cannot start: ${startError}`);
  }

  private async handle(req: Request): Promise<Response> {
    try {
      switch (req.cmd) {
        case 'ping':
          return ok({ pong: true, pid: process.pid, rules: this.table.size });
        case 'list':
          return ok({ rules: this.rules() });
        case 'stats':
          return ok(await this.stats());
        case 'add':
          return ok({ rule: await this.addRule(req.rule) });
        case 'remove':
          if (typeof req.id !== 'string') return failure('EINVAL', 'remove: id must be a rule id string');
          return ok({ rule: await this.removeRule(req.id) });
      }
    } catch (err) {
      if (err instanceof ConfigError) return failure('EINVALIDCONFIG', err.message, err.issues);
      if (err instanceof ProtocolError) return failure(err.code, err.message, err.issues);
      throw err;
    }
  }
}
