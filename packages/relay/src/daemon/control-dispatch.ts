import { ConfigError } from '../config/config-error.js';
import type { Rule } from '../config/types.js';
import { failure, ok, type Request, type Response } from '../control/protocol.js';
import { ProtocolError } from '../control/protocol.js';
import type { PendingRule } from './pending-rules.js';
import type { ReloadSummary } from './reload-plan.js';
import type { StatsReport } from './stats-report.js';

/** What the control socket can ask of the relay. */
export interface RelayOperations {
  ping(): { pong: true; pid: number; rules: number };
  list(): { rules: Rule[]; pending: PendingRule[] };
  stats(): Promise<StatsReport>;
  add(raw: unknown): Promise<Rule>;
  remove(id: string): Promise<Rule>;
  reload(): Promise<ReloadSummary>;
}

/** Answers one control request: every refusal becomes an error code the client can act on. */
export async function dispatch(ops: RelayOperations, req: Request): Promise<Response> {
  try {
    switch (req.cmd) {
      case 'ping':
        return ok(ops.ping());
      case 'list':
        return ok(ops.list());
      case 'stats':
        return ok(await ops.stats());
      case 'add':
        return ok({ rule: await ops.add(req.rule) });
      case 'remove':
        return ok({ rule: await ops.remove(req.id) });
      case 'reload':
        return ok(await ops.reload());
    }
  } catch (err) {
    if (err instanceof ConfigError) return failure('EINVALIDCONFIG', err.message, err.issues);
    if (err instanceof ProtocolError) return failure(err.code, err.message, err.issues);
    throw err;
  }
}
