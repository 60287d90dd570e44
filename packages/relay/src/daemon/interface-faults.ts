import type { Logger } from '../log.js';
import { addressesDiffer, type InterfaceFactsCache } from '../net/interface-facts.js';
import { isMulticastAddress, parseIpAddress, type AddressFamily } from '@mcr/relay-native';
import type { InterfaceChange, InterfaceState } from '../net/interface-watcher.js';
import type { RuleTable } from '../rules/rule-table.js';
import type { InputPools } from './input-pools.js';
import type { RuleMemberships } from './memberships.js';

type InterfaceStateReport = InterfaceState & { name: string };

export interface InterfaceEvents {
  down: number;
  up: number;
  gone: number;
  back: number;
  /** Renames followed by ifindex. */
  renamed: number;
  /** MTU changes seen. */
  mtu: number;
  /** Worker pools replaced because of an interface change (a larger input MTU, a unicast source address). */
  workerRestarts: number;
}

/**
 * What the relay does when an interface it uses changes under it. Down and up need nothing: sockets
 * and memberships survive. An input that disappears stops its workers (their sockets are bound to a
 * dead ifindex) until it is back; an output that disappears or loses its address stays in the tables
 * with ifindex 0, so nothing else waits for it; when it is back (a new ifindex, an address), groups are
 * re-joined and the tables that send on it are rebuilt. Only the input interfaces concerned are touched.
 */
export class InterfaceFaults {
  readonly events: InterfaceEvents = { down: 0, up: 0, gone: 0, back: 0, renamed: 0, mtu: 0, workerRestarts: 0 };

  constructor(
    private readonly pools: InputPools,
    private readonly memberships: RuleMemberships,
    private readonly facts: InterfaceFactsCache,
    private readonly table: () => RuleTable,
    private readonly log: Logger,
  ) {}

  async onChange({ name, before, after }: InterfaceChange): Promise<void> {
    this.facts.forget(name);
    if (after.ifindex === null) {
      this.events.gone++;
      this.log.warn(`interface ${name} disappeared: forwarding through it stops until it is back`);
      if (this.pools.get(name)) {
        this.pools.missing.add(name);
        await this.pools.stop(name);
      }
      await this.rebind(this.inputsSendingOn(name), 'all');
      return;
    }
    if (before.ifindex !== after.ifindex) {
      this.events.back++;
      this.log.info(`interface ${name} is back (ifindex ${after.ifindex}): re-joining and rebinding`);
      const unjoined = this.memberships.rejoin(name);
      if (unjoined.length > 0) this.log.error(`interface ${name}: re-joining ${unjoined.join(', ')} failed; retrying`);
      await this.rebind(new Set([...this.inputsSendingOn(name), name]), 'all');
      return;
    }
    if (before.mac !== after.mac) {
      // Copies sent on it carry its MAC as their source: the tables that send on it are rebuilt. (The
      // loop guard's list of this host's MACs is refreshed on every poll.)
      this.log.info(`interface ${name}: MAC ${before.mac} -> ${after.mac}`, { interface: name, mac: after.mac });
      await this.rebind(this.inputsSendingOn(name), 'all');
    }
    if (addressesDiffer(before, after)) {
      this.logAddress(name, after);
      await this.rebind(this.inputsSendingOn(name), 'all');
      // relay-native keeps a unicast output's UDP socket bound to the address it was opened with
      // (per ifindex and TTL) for the worker's life: only new workers send from the new address.
      const unicast = this.inputsSendingUnicastOn(name, familiesWithNewAddress(before, after));
      if (unicast.size > 0) await this.restartPools(unicast, `the unicast sockets on ${name} must be bound to its new address`);
    }
    if (before.mtu !== after.mtu && after.mtu > 0) {
      // The rings' frame slots were sized from the MTU when the workers opened them.
      this.events.mtu++;
      this.log.info(`interface ${name}: MTU ${before.mtu} -> ${after.mtu}`, { interface: name, mtu: after.mtu });
      if (this.pools.get(name) && after.mtu > before.mtu) await this.restartPools(new Set([name]), `its rings were sized for MTU ${before.mtu}, it is ${after.mtu} now`);
    }
    if (before.up === after.up) return;
    if (after.up) this.events.up++;
    else this.events.down++;
    this.log[after.up ? 'info' : 'warn'](`interface ${name} is ${after.up ? 'up' : 'down'}`);
  }

  /**
   * Called on every watcher poll with what it read: rebinds the tables whose interface facts went stale, all of them when an interface came or went in the
   * namespace (its MACs change), and the pools of missing inputs that are back.
   */
  async onPoll(states: ReadonlyArray<InterfaceStateReport>): Promise<void> {
    const stale = this.facts.staleAgainst(states);
    for (const name of stale) {
      this.facts.forget(name);
      const now = states.find((st) => st.name === name)!;
      if (now.ifindex !== null) this.logAddress(name, now);
    }
    const macsChanged = this.facts.refreshOwnMacs();
    const inputs = new Set(macsChanged ? this.table().inputInterfaces() : stale.flatMap((name) => [...this.inputsSendingOn(name)]));
    if (inputs.size > 0) await this.rebind(inputs, 'all');
    const back = [...this.pools.missing].filter((iface) => this.facts.get(iface));
    if (back.length > 0) await this.rebind(new Set(back), 'missing');
  }

  private logAddress(name: string, now: InterfaceState): void {
    this.log.info(`interface ${name} ${describeAddresses(now)}`, { interface: name, ipv4: now.ipv4, ipv6: now.ipv6, ipv6LinkLocal: now.ipv6LinkLocal });
  }

  /** Input interfaces with a rule that sends unicast (multicast-to-unicast) of one of `families` on `name`. */
  private inputsSendingUnicastOn(name: string, families: readonly AddressFamily[]): Set<string> {
    const inputs = new Set<string>();
    for (const rule of this.table().list()) {
      if (!families.includes(rule.input.family)) continue;
      if (rule.outputs.some((o) => o.interface === name && !isMulticastAddress(parseIpAddress(o.group)!))) inputs.add(rule.input.interface);
    }
    return inputs;
  }

  /**
   * Replaces the workers of `inputs` (stop, then start with the current table): what the data plane
   * fixed at start-up must change. Forwarding on those inputs stops for the time a start takes
   * (about 250 ms); logged as a warning with the reason.
   */
  private async restartPools(inputs: Set<string>, why: string): Promise<void> {
    const table = this.table();
    for (const iface of inputs) {
      if (!this.pools.get(iface) || table.rulesOn(iface).length === 0) continue;
      this.log.warn(`restarting the workers of ${iface}: ${why}`, { interface: iface });
      this.events.workerRestarts++;
      try {
        await this.pools.stop(iface);
        await this.pools.start(iface, this.pools.tableFor(iface, table));
      } catch (err) {
        // As when an input disappears: remembered as missing, started again by the next poll.
        this.pools.missing.add(iface);
        this.log.error(`restarting the workers of ${iface}: ${(err as Error).message}; retrying`);
      }
    }
  }

  /** Input interfaces with a rule that sends on `name`. */
  private inputsSendingOn(name: string): Set<string> {
    const inputs = new Set<string>();
    for (const rule of this.table().list()) if (rule.outputs.some((o) => o.interface === name)) inputs.add(rule.input.interface);
    return inputs;
  }

  /** Sends the current tables of `inputs` to their workers, and starts those of inputs that are back. */
  private async rebind(inputs: Set<string>, which: 'all' | 'missing'): Promise<void> {
    const table = this.table();
    await Promise.all(
      [...inputs].map(async (iface) => {
        if (table.rulesOn(iface).length === 0) return;
        try {
          const pool = this.pools.get(iface);
          if (pool && which === 'all') await pool.setRules(this.pools.tableFor(iface, table));
          else if (!pool && this.pools.missing.has(iface) && this.facts.get(iface)) await this.pools.start(iface, this.pools.tableFor(iface, table));
        } catch (err) {
          // The interface may be back without its address yet: the next poll tries again.
          this.log.warn(`rebinding ${iface} after an interface change: ${(err as Error).message}`);
        }
      }),
    );
  }
}

/** What an interface sends from, for a log line: each family's address, or that it has none. */
function describeAddresses(s: InterfaceState): string {
  const v4 = s.ipv4 === null ? 'has no IPv4 address: no IPv4 output sends on it' : `has IPv4 ${s.ipv4}: sending on it`;
  const v6 = [s.ipv6, s.ipv6LinkLocal].filter((a) => a !== null);
  return `${v4}; ${v6.length === 0 ? 'no IPv6 address: no IPv6 output sends on it' : `IPv6 ${v6.join(' and ')}`}`;
}

/** The families whose send address changed to one it can send from: their unicast sockets must be bound anew. */
function familiesWithNewAddress(before: InterfaceState, after: InterfaceState): AddressFamily[] {
  const families: AddressFamily[] = [];
  if (before.ipv4 !== after.ipv4 && after.ipv4 !== null) families.push('ipv4');
  const v6Changed = before.ipv6 !== after.ipv6 || before.ipv6LinkLocal !== after.ipv6LinkLocal;
  if (v6Changed && (after.ipv6 ?? after.ipv6LinkLocal) !== null) families.push('ipv6');
  return families;
}
