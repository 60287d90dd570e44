import type { ReflectorRow } from '../reflectors/reflector.js';
import type { Rule } from '../config/types.js';
import type { IgmpCounters, Membership } from '../igmp/igmp-memberships.js';
import type { InterfaceEvents } from './interface-faults.js';
import { addCounters, emptyCounters, mergeRules, OUTPUT_COUNTERS, SCALAR_COUNTERS, type OutputCounter, type ScalarCounter } from '../workers/counters.js';
import type { WorkerSnapshot } from '../workers/worker-pool.js';
import type { InterfaceState } from '../net/interface-watcher.js';
import type { PendingRule } from './pending-rules.js';
import type { StateFileStatus } from './state-store.js';
import type { ListenerRow, MembershipEvents, QuerierRow } from '../listeners/segment-listeners.js';
import type { AddressFamily } from '@mcr/relay-native';

/** `mcr stats --json`: the shape is part of the control protocol (v1). */
export interface StatsReport {
  pid: number;
  uptimeSec: number;
  rules: Array<{
    id: string;
    input: Rule['input'];
    matched: number;
    bytes: number;
    rateLimited: number;
    /** Which engine forwards the rule's frames: 'tc' (the input's tc program; frames it defers still go through the workers) or 'packet'. */
    engine: 'tc' | 'packet';
    /** `forwarding` (listeners outputs only): whether a listener has the output sending now. */
    outputs: Array<Rule['outputs'][number] & Record<OutputCounter, number> & { forwarding?: boolean }>;
  }>;
  /** Each worker as the pool sees it, its counters flattened beside (the scalar ones). */
  workers: Array<Omit<WorkerSnapshot, 'counters'> & Record<ScalarCounter, number>>;
  totals: Record<ScalarCounter, number> & { workers: number; workersAlive: number; workersFailing: number; workerRestarts: number };
  igmp: IgmpCounters & { memberships: Membership[] };
  /** Every interface the rules use. `fanout`: the PACKET_FANOUT group of an input interface's workers; null for other interfaces. */
  interfaces: InterfaceReport[];
  interfaceEvents: InterfaceEvents;
  /** Rules kept but not running yet, each with why (e.g. `interface x is absent`); not in `rules`. */
  pending: PendingRule[];
  /** `--state FILE`: whether its last read (at start) or save worked; null without --state. */
  stateFile: StateFileStatus | null;
  /** The listeners each listened segment has (outputs with forward: "listeners"), a row per group and per source. */
  listeners: ListenerRow[];
  /** Each listened segment's querier: this relay or the router it defers to. */
  queriers: QuerierRow[];
  /** Listener groups that appeared, were left and timed out, per listened segment, since start. */
  membershipEvents: Array<{ interface: string; family: AddressFamily } & MembershipEvents>;
  /** Each discovery reflector: its members' sockets (what arrived, what was dropped) and its paths (what was sent). */
  reflectors: ReflectorRow[];
}

/** What the interface watcher knows of one interface, its name, and its workers' PACKET_FANOUT group. */
export interface InterfaceReport extends InterfaceState {
  name: string;
  fanout: { id: number | null; mode: string } | null;
}

export function buildStatsReport(args: {
  rules: Rule[];
  workers: WorkerSnapshot[];
  igmp: IgmpCounters;
  memberships: Membership[];
  interfaces: InterfaceReport[];
  interfaceEvents: InterfaceEvents;
  startedAt: number;
  pending?: PendingRule[];
  stateFile?: StateFileStatus | null;
  listeners?: ListenerRow[];
  queriers?: QuerierRow[];
  membershipEvents?: StatsReport['membershipEvents'];
  reflectors?: ReflectorRow[];
  /** Whether a listeners output sends now; absent: no output has listeners. */
  forwardingNow?: (rule: Rule, out: Rule['outputs'][number]) => boolean;
  /** Which engine forwards a rule; absent: the packet engine forwards every rule. */
  engineOf?: (rule: Rule) => 'tc' | 'packet';
}): StatsReport {
  const perRule = new Map(mergeRules(args.workers.flatMap((w) => w.counters.rules)).map((r) => [r.id, r]));
  const total = args.workers.reduce((sum, w) => addCounters(sum, w.counters), emptyCounters());
  // A frame a worker left to the tc program (fastPath: its ring filter let it in, which the generic
  // filter of a large table does) is in the program's row as well: the totals read each frame once.
  total.framesSeen -= total.fastPath;
  const scalars = (c: typeof total) => Object.fromEntries(SCALAR_COUNTERS.map((k) => [k, c[k]])) as Record<ScalarCounter, number>;
  return {
    pid: process.pid,
    uptimeSec: Math.round((Date.now() - args.startedAt) / 100) / 10,
    rules: args.rules.map((rule) => {
      const c = perRule.get(rule.id);
      return {
        id: rule.id,
        input: rule.input,
        matched: c?.matched ?? 0,
        bytes: c?.bytes ?? 0,
        rateLimited: c?.rateLimited ?? 0,
        engine: args.engineOf?.(rule) ?? 'packet',
        outputs: rule.outputs.map((out, i) => ({
          ...out,
          ...(Object.fromEntries(OUTPUT_COUNTERS.map((k) => [k, c?.outputs[i]?.[k] ?? 0])) as Record<OutputCounter, number>),
          ...(out.forward === 'listeners' && args.forwardingNow ? { forwarding: args.forwardingNow(rule, out) } : {}),
        })),
      };
    }),
    workers: args.workers.map((w) => ({
      interface: w.interface,
      index: w.index,
      pid: w.pid,
      alive: w.alive,
      state: w.state,
      restarts: w.restarts,
      lastError: w.lastError,
      ignoreOutgoing: w.ignoreOutgoing ?? null,
      engine: w.engine ?? 'packet',
      ...scalars(w.counters),
    })),
    totals: {
      ...scalars(total),
      workers: args.workers.length,
      workersAlive: args.workers.filter((w) => w.alive).length,
      workersFailing: args.workers.filter((w) => w.state === 'failing').length,
      workerRestarts: args.workers.reduce((n, w) => n + w.restarts, 0),
    },
    igmp: { ...args.igmp, memberships: args.memberships },
    interfaces: args.interfaces,
    interfaceEvents: args.interfaceEvents,
    pending: args.pending ?? [],
    stateFile: args.stateFile ?? null,
    listeners: args.listeners ?? [],
    queriers: args.queriers ?? [],
    membershipEvents: args.membershipEvents ?? [],
    reflectors: args.reflectors ?? [],
  };
}

/** Counters that only mean something when they are not zero: the summary line names them then. */
const WHEN_NONZERO = [
  ['ownFrames', 'loop'],
  ['ttlExpired', 'ttl'],
  ['rateLimited', 'ratelimited'],
  ['badChecksum', 'badsum'],
  ['outputAbsent', 'absent'],
  ['notListened', 'notlistened'],
  ['extensionHeaders', 'exthdr'],
  ['workersFailing', 'failing'],
] as const;

/** The periodic one-line summary on stderr. */
export function summaryLine(s: StatsReport): string {
  const t = s.totals;
  const drops = WHEN_NONZERO.filter(([key]) => t[key] > 0).map(([key, label]) => ` ${label}=${t[key]}`);
  return (
    `rules=${s.rules.length} workers=${t.workersAlive}/${t.workers} frames=${t.framesSeen} matched=${t.matched} ` +
    `forwarded=${t.forwarded} nomatch=${t.noMatch} malformed=${t.malformed} fragments=${t.fragments} ` +
    `txerr=${t.txErrors} kdrops=${t.kernelDrops} groups=${s.igmp.memberships.length} restarts=${t.workerRestarts}${drops.join('')}` +
    (s.pending.length > 0 ? ` pending=${s.pending.length}` : '')
  );
}
