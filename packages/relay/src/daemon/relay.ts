import { MembershipSocket } from '@mcr/relay-native';
import { ConfigError } from '../config/config-error.js';
import { parseRule } from '../config/rule-schema.js';
import type { RelayConfig, Rule } from '../config/types.js';
import { ControlServer } from '../control/control-server.js';
import { failure, ok, ProtocolError, type Request, type Response } from '../control/protocol.js';
import { IgmpMemberships } from '../igmp/igmp-memberships.js';
import type { Logger } from '../log.js';
import { interfaceExists, interfaceInfo } from '../net/interfaces.js';
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

  constructor(
    private readonly config: RelayConfig,
    private readonly log: Logger,
  ) {}

  /** Starts workers for the configured rules, joins their groups, then opens the control socket. */
  async start(): Promise<void> {
    await this.apply(RuleTable.from(this.config.rules));
    this.control = new ControlServer({ path: this.config.control.socket, mode: this.config.control.mode, ...(this.config.control.group ? { group: this.config.control.group } : {}) }, (req) =>
      this.handle(req),
    );
    await this.control.listen();
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
    return buildStatsReport({ rules: this.table.list(), workers, igmp: { ...this.igmp.counters }, memberships: this.igmp.list(), startedAt: this.startedAt });
  }

  /** Stops taking requests, stops the workers, leaves every group. Returns the final stats. */
  async shutdown(): Promise<StatsReport> {
    await this.control?.close();
    await this.changes.catch(() => undefined);
    const final = await this.stats();
    await Promise.all([...this.pools.values()].map((p) => p.stop()));
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
    const nativeTables = new Map(next.inputInterfaces().map((iface) => [iface, nativeRulesFor(next.rulesOn(iface), interfaceInfo)]));

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
    this.table = next;
  }

  private async startPool(iface: string, rules: ReturnType<typeof nativeRulesFor>): Promise<void> {
    let startError: string | undefined;
    const pool = new WorkerPool({
      interface: iface,
      ifindex: interfaceInfo(iface).ifindex,
      workers: this.config.workers,
      fanout: this.config.fanout,
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
