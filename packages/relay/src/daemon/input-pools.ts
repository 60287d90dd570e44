import { NATIVE_LIMITS, RELAY_LIMITS } from '../config/limits.js';
import type { OutputSpec, RelayConfig, Rule } from '../config/types.js';
import type { Gate } from './listener-gates.js';
import { ProtocolError } from '../control/protocol.js';
import type { Logger } from '../log.js';
import type { InterfaceFactsCache } from '../net/interface-facts.js';
import type { RuleTable } from '../rules/rule-table.js';
import type { RuleTableMessage } from '../workers/ipc.js';
import type { RuleSpec } from '@mcr/relay-native';
import { WorkerPool, type WorkerPoolOptions, type WorkerSnapshot } from '../workers/worker-pool.js';
import { capabilityHint } from '../net/capabilities.js';
import { nativeRulesFor } from './native-rules.js';

/**
 * A worker pool per input interface, and the native tables they run. An input interface that
 * disappeared has no pool (its sockets would be bound to a dead ifindex) and is remembered as
 * missing until it is back.
 */
export class InputPools {
  private readonly pools = new Map<string, WorkerPool>();
  /** Input interfaces whose workers were stopped because the interface disappeared. */
  readonly missing = new Set<string>();
  /** With a configured fanout.id: each running pool's offset from it (fanoutFor). */
  private readonly fanoutOffsets = new Map<string, number>();

  constructor(
    private readonly config: RelayConfig,
    private readonly facts: InterfaceFactsCache,
    private readonly log: Logger,
    /** The gates of a listeners output now (receiver-driven relaying); undefined for an output that always sends. */
    private readonly gatesOf: (rule: Rule, out: OutputSpec) => Gate[] | undefined = () => undefined,
  ) {}

  get(iface: string): WorkerPool | undefined {
    return this.pools.get(iface);
  }

  interfaces(): string[] {
    return [...this.pools.keys()];
  }

  /** The native table of input interface `iface` under `table`, with this namespace's loop-guard facts. */
  tableFor(iface: string, table: RuleTable): RuleTableMessage {
    const { disableLoopGuard } = this.config.testOnly;
    const rules = nativeRulesFor(table.rulesOn(iface), (name) => this.facts.get(name), { disableLoopGuard, gatesOf: this.gatesOf });
    return { rules, context: { ownMacs: disableLoopGuard ? [] : this.loopGuardMacs(rules) } };
  }

  /**
   * Every MAC of the namespace, as the data plane takes at most NATIVE_LIMITS.maxOwnMacs of them: past
   * that (a host with more interfaces), the MACs this table sends from come first, since a looped
   * frame comes back with one of those as its source.
   */
  private loopGuardMacs(rules: RuleSpec[]): string[] {
    const all = this.facts.ownMacs();
    if (all.length <= NATIVE_LIMITS.maxOwnMacs) return all;
    const sending = new Set(rules.flatMap((r) => r.outputs.filter((o) => o.ifindex !== 0).map((o) => o.sourceMac.toLowerCase())));
    return [...sending, ...all.filter((m) => !sending.has(m))].slice(0, NATIVE_LIMITS.maxOwnMacs);
  }

  /**
   * Starts the workers of `iface` with `table`. Throws TableRefused when one refuses it, EINTERNAL when
   * they cannot start at all; either way no pool is left behind.
   */
  async start(iface: string, table: RuleTableMessage): Promise<void> {
    const facts = this.facts.get(iface);
    if (!facts) throw new ProtocolError('EINTERNAL', `interface ${iface} does not exist`);
    let startError: string | undefined;
    const { testOnly } = this.config;
    const pool = new WorkerPool({
      interface: iface,
      ifindex: facts.ifindex,
      workers: this.config.workers,
      fanout: this.fanoutFor(iface),
      dataPlane: this.config.dataPlane,
      extraWorkerOptions: {
        // Passive mode joins nothing, so a NIC's multicast filter would drop the groups: take all.
        ...(this.config.igmp.join ? {} : { allMulticast: true }),
        ...(testOnly.injectedWorkNanos > 0 ? { injectedWorkNanos: testOnly.injectedWorkNanos } : {}),
        ...(testOnly.fanoutIgnoreOutgoingUnsupported ? { fanoutIgnoreOutgoingUnsupported: true } : {}),
      },
      log: this.log,
      ...(testOnly.noWorkerRestart ? { noRestart: true } : {}),
      onFatal: (message) => {
        startError = message;
      },
    });
    this.pools.set(iface, pool);
    try {
      await pool.start(table);
      if (startError !== undefined) throw new ProtocolError('EINTERNAL', `workers on ${iface} cannot start: ${startError}${capabilityHint(startError)}`);
    } catch (err) {
      await this.stop(iface);
      throw err;
    }
    this.missing.delete(iface);
  }

  async stop(iface: string): Promise<void> {
    const pool = this.pools.get(iface);
    this.pools.delete(iface);
    await pool?.stop();
    // Free once its workers are gone: the kernel drops a group with its last member.
    if (!this.pools.has(iface)) this.fanoutOffsets.delete(iface);
  }

  async stopAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.stop()));
    this.fanoutOffsets.clear();
  }

  /**
   * The PACKET_FANOUT group of `iface`'s workers. The kernel keys a group by namespace and id, and every
   * member must bind the same device: one id cannot serve two interfaces. So a configured fanout.id is
   * a block: each input interface takes the lowest of id, id+1, ..., id+RELAY_LIMITS.maxInputInterfaces-1
   * (modulo 65536) that no other input's pool holds, for as long as its pool runs (one input alone gets
   * id itself). Without a configured id the kernel picks a free one per interface.
   */
  private fanoutFor(iface: string): WorkerPoolOptions['fanout'] {
    const { mode, id } = this.config.fanout;
    if (id === undefined || mode === 'off') return { mode };
    let offset = this.fanoutOffsets.get(iface);
    if (offset === undefined) {
      const taken = new Set(this.fanoutOffsets.values());
      offset = 0;
      while (taken.has(offset) && offset < RELAY_LIMITS.maxInputInterfaces) offset++;
      this.fanoutOffsets.set(iface, offset);
    }
    return { mode, id: (id + offset) % 0x10000 };
  }

  async snapshot(): Promise<WorkerSnapshot[]> {
    return (await Promise.all([...this.pools.values()].map((p) => p.snapshot()))).flat();
  }
}
