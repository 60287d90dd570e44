import type { RuleSpec, WorkerCounters, WorkerOptions } from '@mcr/relay-native';

// Messages between the supervisor and a data-plane worker process (Node IPC channel).

export interface WorkerBoot {
  index: number;
  options: WorkerOptions;
}

export type ToWorker =
  | { type: 'rules'; rules: RuleSpec[] }
  | { type: 'counters'; requestId: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; fanoutId: number | null }
  | { type: 'fatal'; message: string; code?: string }
  | { type: 'counters'; requestId: number; counters: WorkerCounters };
