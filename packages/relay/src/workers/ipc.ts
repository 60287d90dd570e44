import type { IgnoreOutgoingMode, OutgoingProbe, RuleSpec, TableContext, WorkerCounters, WorkerOptions } from '@mcr/relay-native';

// Messages between the supervisor and a data-plane worker process (Node IPC channel). Every change
// is a request with an answer: a table is `applied` or `refused` (with the reason), never silently
// dropped and never a reason for the worker to die.

export interface WorkerBoot {
  index: number;
  options: WorkerOptions;
}

export interface RuleTableMessage {
  rules: RuleSpec[];
  context: TableContext;
}

export type ToWorker =
  | ({ type: 'rules'; requestId: number } & RuleTableMessage)
  | { type: 'counters'; requestId: number }
  | { type: 'stop' };

/** How a worker's data plane waits between drains, as the worker received it (its defaults filled in). */
export interface WorkerPacing {
  coalesceMicros: number;
  latencyBudgetMicros: number;
}

export type FromWorker =
  | { type: 'ready'; fanoutId: number | null; pacing: WorkerPacing; ignoreOutgoing: { mode: IgnoreOutgoingMode; probe: OutgoingProbe } }
  | { type: 'fatal'; message: string; code?: string }
  | { type: 'applied'; requestId: number }
  | { type: 'refused'; requestId: number; message: string }
  | { type: 'counters'; requestId: number; counters: WorkerCounters };
