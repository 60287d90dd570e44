// The tc engine on one input interface, run by the supervisor itself (the program runs in the
// kernel; no worker process is needed): it takes the rules it can (TcEngine's tcRefusal), and the
// input's workers get the same table with those rules named in context.fastPathRules, so each frame
// is forwarded by one engine only.
import { TcEngine, tcRefusal, type RuleSpec, type TcAttachMode, type TcCounters, type WorkerCounters } from '@mcr/relay-native';
import type { DataPlaneEngine } from '../config/types.js';
import type { Logger } from '../log.js';
import { effectiveCapabilities, type Capability } from '../net/capabilities.js';
import { emptyCounters } from './counters.js';
import type { RuleTableMessage } from './ipc.js';

/** Why the tc engine cannot run in this process at all, or null: capabilities, then the kernel (probed). */
export function tcUnavailable(held: Set<Capability> | null = effectiveCapabilities()): string | null {
  if (held !== null) {
    const missing = (['bpf', 'net_admin'] as const).filter((c) => !held.has(c)).map((c) => `CAP_${c.toUpperCase()}`);
    if (missing.length > 0) return `the tc engine needs ${missing.join(' and ')}`;
  }
  const support = TcEngine.probe();
  if (!support.clsBpf || !support.helpers) return `the kernel lacks ${support.missing.join(', ')}`;
  return null;
}

/** A rule the tc engine refuses under engine "tc": the relay says which and why. */
export class TcRefused extends Error {}

export class TcInput {
  readonly attach: TcAttachMode;
  readonly #engine: TcEngine;
  readonly #mode: Exclude<DataPlaneEngine, 'packet'>;
  readonly #log: Logger;
  readonly #interface: string;
  /** Rule ids the program has now. */
  #taken = new Set<string>();
  /** Reasons already logged per rule id (auto), so a table swap does not repeat them. */
  readonly #said = new Map<string, string>();

  constructor(options: { interface: string; ifindex: number; mode: Exclude<DataPlaneEngine, 'packet'>; log: Logger; injectedCostLoops?: number }) {
    this.#mode = options.mode;
    this.#log = options.log;
    this.#interface = options.interface;
    this.#engine = new TcEngine({ interface: options.interface, ifindex: options.ifindex, injectedCostLoops: options.injectedCostLoops ?? 0 });
    try {
      this.attach = this.#engine.attach();
    } catch (error) {
      void this.#engine.close();
      throw error;
    }
    if (this.attach === 'cls_bpf') {
      options.log.warn(`tc engine on ${options.interface}: no tcx links on this kernel, attached as a clsact cls_bpf filter; the kernel cannot remove it if the relay dies without stopping (check with tools/check-leftovers.sh)`);
    }
  }

  /** Whether the program forwards rule `id` (mcr stats says so per rule). */
  has(id: string): boolean {
    return this.#taken.has(id);
  }

  /**
   * Gives the program the rules it can take and returns the workers' table, with those rules named
   * fast-path. Engine "tc" throws TcRefused for a rule it cannot take; "auto" leaves it to the
   * workers and logs why once.
   */
  apply(table: RuleTableMessage): RuleTableMessage {
    const taken: RuleSpec[] = [];
    for (const rule of table.rules) {
      const why = tcRefusal(rule);
      if (why === null) {
        taken.push(rule);
        continue;
      }
      if (this.#mode === 'tc') throw new TcRefused(`rule ${rule.id}: dataPlane.engine "tc" cannot take it: ${why}`);
      if (this.#said.get(rule.id) !== why) {
        this.#said.set(rule.id, why);
        this.#log.info(`rule ${rule.id} on ${this.#interface} stays with the packet engine: ${why}`);
      }
    }
    this.#engine.setRules(taken, table.context);
    this.#taken = new Set(taken.map((r) => r.id));
    return { rules: table.rules, context: { ...table.context, fastPathRules: taken.map((r) => r.id) } };
  }

  /**
   * The program's counters in the workers' shape (its own row in mcr stats): the frames it decided on
   * (its rules' frames, its own-MAC drops), and only those. The frames it passes on (no rule of its,
   * a layout it does not rewrite) are the workers' to count: their ring filter lets those in and keeps
   * the program's out (ingress_filter.hpp).
   */
  counters(): WorkerCounters {
    const c: TcCounters = this.#engine.counters();
    const { deferred: _deferred, rewriteErrors: _rewriteErrors, ...shape } = c;
    // emptyCounters first: what only a worker counts (fastPath, kernelPackets, ...) is 0 here, never absent.
    return { ...emptyCounters(), ...shape, framesSeen: shape.matched + shape.badChecksum + shape.ownFrames, noMatch: 0 };
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}
