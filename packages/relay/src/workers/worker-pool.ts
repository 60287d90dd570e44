import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FanoutMode as NativeFanoutMode, RuleSpec, WorkerCounters, WorkerOptions } from '@mcr/relay-native';
import type { DataPlaneSettings, FanoutMode } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FromWorker, ToWorker, WorkerBoot } from './ipc.js';
import { addCounters, emptyCounters } from './counters.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.js', import.meta.url));
const RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5000;
const COUNTERS_TIMEOUT_MS = 1000;
const STOP_GRACE_MS = 1500;
const STABLE_AFTER_MS = 10_000;

export interface WorkerPoolOptions {
  interface: string;
  ifindex: number;
  workers: number;
  fanout: { mode: FanoutMode; id?: number };
  dataPlane: DataPlaneSettings;
  log: Logger;
  /** Called when a worker cannot start at all (bad interface, no permission): the pool gives up. */
  onFatal?: (message: string) => void;
}

export interface WorkerSnapshot {
  interface: string;
  index: number;
  pid: number | null;
  alive: boolean;
  restarts: number;
  counters: WorkerCounters;
}

/** One worker slot: the process in it changes on restart, the slot's counters carry over. */
interface Slot {
  index: number;
  child: ChildProcess | null;
  ready: boolean;
  restarts: number;
  /** Counters of the slot's earlier (dead) processes, so totals never go backwards. */
  retired: WorkerCounters;
  last: WorkerCounters;
  restartTimer: NodeJS.Timeout | null;
  /** Restarts in a row whose process died soon after starting. */
  quickDeaths: number;
}

/**
 * The worker processes of one input interface, all in one PACKET_FANOUT group so that each frame goes
 * to exactly one of them. The bug this prevents: workers each with a plain AF_PACKET socket each got a
 * copy of every frame (1.28x and more). `fanout: off` brings that behaviour back, for diagnosis only.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private rules: RuleSpec[] = [];
  private fanoutId: number | null;
  private stopping = false;
  private started = false;
  private nextRequest = 1;
  /** Counter requests in flight, by request id, with the slot they went to. */
  private readonly pending = new Map<number, { slot: Slot; answer: (c: WorkerCounters | null) => void }>();
  restartsTotal = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    this.fanoutId = options.fanout.id ?? null;
  }

  /** Starts every worker and resolves once all of them read frames. */
  async start(rules: RuleSpec[]): Promise<void> {
    this.rules = rules;
    for (let i = 0; i < this.options.workers; i++) {
      const slot: Slot = { index: i, child: null, ready: false, restarts: 0, retired: emptyCounters(), last: emptyCounters(), restartTimer: null, quickDeaths: 0 };
      this.slots.push(slot);
      // The first worker creates the fanout group (the kernel picks a free id unless the config set one);
      // the others join that id, so they must wait for it.
      await this.spawn(slot);
      if (this.stopping) return; // the first failure says it all: the others would fail the same way
    }
    this.started = true;
  }

  /** Replaces the rule table in every worker; the native swap is atomic, nothing restarts. */
  setRules(rules: RuleSpec[]): void {
    this.rules = rules;
    for (const slot of this.slots) if (slot.ready) this.post(slot, { type: 'rules', rules });
  }

  async snapshot(): Promise<WorkerSnapshot[]> {
    return Promise.all(
      this.slots.map(async (slot) => {
        const current = slot.ready ? await this.requestCounters(slot) : null;
        if (current) slot.last = current;
        return {
          interface: this.options.interface,
          index: slot.index,
          pid: slot.child?.pid ?? null,
          alive: slot.ready,
          restarts: slot.restarts,
          counters: addCounters(slot.retired, slot.last),
        };
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        this.post(slot, { type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private nativeFanout(): WorkerOptions['fanout'] {
    const { mode } = this.options.fanout;
    if (mode === 'off') return null;
    return this.fanoutId === null ? { mode: mode as NativeFanoutMode } : { mode: mode as NativeFanoutMode, id: this.fanoutId };
  }

  private spawn(slot: Slot): Promise<void> {
    const boot: WorkerBoot = {
      index: slot.index,
      options: {
        interface: this.options.interface,
        ifindex: this.options.ifindex,
        fanout: this.nativeFanout(),
        batchSize: this.options.dataPlane.batchSize,
        coalesceMicros: this.options.dataPlane.coalesceMicros,
      },
    };
    const child = fork(WORKER_ENTRY, [JSON.stringify(boot)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    slot.child = child;
    slot.ready = false;
    const startedAt = Date.now();
    const { log } = this.options;
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            if (this.fanoutId === null && message.fanoutId !== null) this.fanoutId = message.fanoutId;
            slot.ready = true;
            this.post(slot, { type: 'rules', rules: this.rules });
            log.debug(`worker ${this.options.interface}#${slot.index} pid ${child.pid} ready (fanout ${message.fanoutId ?? 'off'})`);
            settle();
            break;
          case 'fatal':
            log.error(`worker ${this.options.interface}#${slot.index} cannot start: ${message.message}`);
            if (!this.started) {
              // At start-up this is a configuration problem (no such interface, no permission): say so
              // and give up. Later it is a fault (the interface went away): keep restarting, with backoff.
              this.stopping = true;
              this.options.onFatal?.(message.message);
            }
            settle();
            break;
          case 'counters':
            this.pending.get(message.requestId)?.answer(message.counters);
            break;
        }
      });
      child.on('exit', (code, signal) => {
        // A dead worker answers nothing: settle its requests now rather than at their timeout.
        for (const p of [...this.pending.values()]) if (p.slot === slot) p.answer(null);
        const wasReady = slot.ready;
        slot.ready = false;
        slot.child = null;
        slot.retired = addCounters(slot.retired, slot.last);
        slot.last = emptyCounters();
        settle();
        if (this.stopping) return;
        slot.restarts++;
        this.restartsTotal++;
        // Restart at once after a crash; back off only while restarts keep failing quickly (the interface is
        // gone, say), so that a worker in a crash loop does not spin.
        slot.quickDeaths = wasReady && Date.now() - startedAt > STABLE_AFTER_MS ? 0 : slot.quickDeaths + 1;
        const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** Math.max(0, slot.quickDeaths - 1));
        log.warn(`worker ${this.options.interface}#${slot.index} pid ${child.pid} died (${signal ?? `exit ${code}`}); restart #${slot.restarts} in ${delay} ms`);
        slot.restartTimer = setTimeout(() => {
          slot.restartTimer = null;
          if (!this.stopping) void this.spawn(slot);
        }, delay);
      });
    });
  }

  private post(slot: Slot, message: ToWorker): void {
    const child = slot.child;
    if (child?.connected) child.send(message, (err) => err && this.options.log.debug(`ipc to worker ${slot.index}: ${err.message}`));
  }

  private requestCounters(slot: Slot): Promise<WorkerCounters | null> {
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve(null);
      }, COUNTERS_TIMEOUT_MS);
      this.pending.set(requestId, {
        slot,
        answer: (c) => {
          clearTimeout(timer);
          this.pending.delete(requestId);
          resolve(c);
        },
      });
      this.post(slot, { type: 'counters', requestId });
    });
  }
}
