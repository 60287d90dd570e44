import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DataPlaneSettings, FanoutMode } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FromWorker, RuleTableMessage, ToWorker, WorkerBoot } from './ipc.js';
import { addCounters, emptyCounters } from './counters.js';
import { afterDeath, CRASH_LOOP } from './restart-policy.js';
import { WorkerRequests } from './worker-requests.js';
import { InterfaceLog } from './interface-log.js';
import { TcInput, TcRefused } from './tc-input.js';
import type { IgnoreOutgoingMode, FanoutMode as NativeFanoutMode, WorkerCounters, WorkerOptions } from '@mcr/relay-native';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-process.js', import.meta.url));
const COUNTERS_TIMEOUT_MS = 1000;
/** A worker swaps a table in microseconds; one that has not answered in this long is treated as refusing. */
export const TABLE_ANSWER_TIMEOUT_MS = 2000;
const STOP_GRACE_MS = 1500;

export { CRASH_LOOP };

export type WorkerState = 'running' | 'restarting' | 'failing';

export interface WorkerPoolOptions {
  interface: string;
  ifindex: number;
  workers: number;
  fanout: { mode: FanoutMode; id?: number };
  dataPlane: DataPlaneSettings;
  /** Passed to every worker's data plane as they are (allMulticast, and the TEST-ONLY switches). */
  extraWorkerOptions?: Pick<WorkerOptions, 'allMulticast' | 'injectedWorkNanos' | 'fanoutIgnoreOutgoingUnsupported'>;
  log: Logger;
  /** Called when a worker cannot start at all (bad interface, no permission): the pool gives up. */
  onFatal?: (message: string) => void;
  /** TEST-ONLY (testOnly.noWorkerRestart): a slot whose process dies stays empty. */
  noRestart?: boolean;
  /**
   * The tc engine on this input ('tc' or 'auto'; absent: the workers forward every rule). 'auto' runs
   * without it when it cannot attach here (logged); 'tc' fails the start.
   */
  tc?: { mode: 'tc' | 'auto'; injectedCostLoops: number };
}

export interface WorkerSnapshot {
  interface: string;
  index: number;
  pid: number | null;
  alive: boolean;
  state: WorkerState;
  restarts: number;
  lastError: string | null;
  /** What keeps the host's own frames out of its ring, as its process reported when it opened; null before. */
  ignoreOutgoing: IgnoreOutgoingMode | null;
  /** 'packet': a worker process; 'tc': the input's tc program (its row counts what it forwarded). */
  engine: 'packet' | 'tc';
  counters: WorkerCounters;
}

/** A worker did not take a rule table: `worker` is `<interface>#<index>`. */
export class TableRefused extends Error {
  constructor(
    readonly worker: string,
    readonly reason: string,
  ) {
    super(`worker ${worker}: ${reason}`);
    this.name = 'TableRefused';
  }
}

/** One worker slot: the process in it changes on restart, the slot's counters carry over. */
interface Slot {
  index: number;
  child: ChildProcess | null;
  /** The process is up and takes tables. */
  ready: boolean;
  /** The process has a table and forwards. */
  applied: boolean;
  restarts: number;
  /** Counters of the slot's earlier (dead) processes, so totals never go backwards. */
  retired: WorkerCounters;
  last: WorkerCounters;
  restartTimer: NodeJS.Timeout | null;
  /** Restarts in a row whose process died soon after starting. */
  quickDeaths: number;
  /** When the slot's processes died, within CRASH_LOOP.windowMs. */
  deaths: number[];
  /** In a crash loop. */
  failing: boolean;
  lastError: string | null;
  /** Why the pool is ending the slot's process itself (it refused its first table): the death's reason. */
  ending: string | null;
  ignoreOutgoing: IgnoreOutgoingMode | null;
}

type TableAnswer = { ok: true } | { ok: false; reason: string };

/**
 * The worker processes of one input interface, all in one PACKET_FANOUT group so that each frame goes
 * to exactly one of them. The bug this prevents: workers each with a plain AF_PACKET socket each got a
 * copy of every frame (1.28x and more). `fanout: off` brings that behaviour back, for diagnosis only.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private table: RuleTableMessage = { rules: [], context: { ownMacs: [] } };
  private fanoutId: number | null;
  private stopping = false;
  private started = false;
  /** Requests in flight, by request id, with the slot they went to; a null answer: no answer. */
  private readonly requests = new WorkerRequests<Slot>();
  /** Refusals of a first table during start(), which then fails. */
  private startRefusal: TableRefused | null = null;

  private readonly interfaceLog: InterfaceLog;
  /** The input's tc engine, when it runs. */
  private tc: TcInput | null = null;

  constructor(private readonly options: WorkerPoolOptions) {
    this.fanoutId = options.fanout.id ?? null;
    this.interfaceLog = new InterfaceLog(options.interface, options.fanout.mode, options.log);
  }

  /** The PACKET_FANOUT group the workers share: id null until the first worker created it, or with mode off. */
  get fanout(): { id: number | null; mode: WorkerPoolOptions['fanout']['mode'] } {
    return { id: this.options.fanout.mode === 'off' ? null : this.fanoutId, mode: this.options.fanout.mode };
  }

  get interfaceName(): string {
    return this.options.interface;
  }

  /**
   * Starts every worker and resolves once all of them forward with `table`. Rejects with TableRefused
   * when a worker refuses it (the caller stops the pool); a worker that cannot start at all is
   * reported through onFatal.
   */
  async start(table: RuleTableMessage): Promise<void> {
    const tc = this.options.tc;
    if (tc) {
      try {
        this.tc = new TcInput({ interface: this.options.interface, ifindex: this.options.ifindex, mode: tc.mode, log: this.options.log, injectedCostLoops: tc.injectedCostLoops });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (tc.mode === 'tc') throw new Error(`dataPlane.engine "tc" cannot attach to ${this.options.interface}: ${why}`, { cause: error });
        this.options.log.warn(`dataPlane.engine "auto": the packet engine forwards every rule on ${this.options.interface}: the tc engine cannot attach: ${why}`);
      }
    }
    this.table = this.tcTable(table);
    for (let i = 0; i < this.options.workers; i++) {
      const slot: Slot = {
        index: i,
        child: null,
        ready: false,
        applied: false,
        restarts: 0,
        retired: emptyCounters(),
        last: emptyCounters(),
        restartTimer: null,
        quickDeaths: 0,
        deaths: [],
        failing: false,
        lastError: null,
        ending: null,
        ignoreOutgoing: null,
      };
      this.slots.push(slot);
      // The first worker creates the fanout group (the kernel picks a free id unless the config set one);
      // the others join that id, so they must wait for it.
      await this.spawn(slot);
      if (this.startRefusal) throw this.startRefusal;
      if (this.stopping) return; // the first failure says it all: the others would fail the same way
    }
    this.started = true;
  }

  /**
   * Sends `table` to every live worker; resolves when each has applied it, rejects with TableRefused
   * naming the first that refused or did not answer. The pool keeps `table` as its current one either
   * way (a worker that restarts gets it): after a refusal the caller sends the previous table back.
   */
  async setRules(table: RuleTableMessage): Promise<void> {
    this.table = this.tcTable(table);
    table = this.table;
    const live = this.slots.filter((s) => s.ready);
    const answers = await Promise.all(live.map(async (slot) => [slot, await this.requestTable(slot, table)] as const));
    let refused: TableRefused | null = null;
    for (const [slot, answer] of answers) {
      if (answer.ok) {
        slot.applied = true;
        slot.failing = false;
        continue;
      }
      slot.lastError = `table refused: ${answer.reason}`;
      refused ??= new TableRefused(this.workerName(slot), answer.reason);
    }
    if (refused) throw refused;
  }

  /** The workers' table: the tc engine takes its rules first (a rule it refuses under "tc" refuses the table). */
  private tcTable(table: RuleTableMessage): RuleTableMessage {
    if (!this.tc) return table;
    try {
      return this.tc.apply(table);
    } catch (error) {
      if (error instanceof TcRefused) throw new TableRefused(`${this.options.interface}#tc`, error.message);
      throw error;
    }
  }

  /** Whether the input's tc program forwards rule `id` (else its workers do). */
  engineOf(id: string): 'tc' | 'packet' {
    return this.tc?.has(id) ? 'tc' : 'packet';
  }

  async snapshot(): Promise<WorkerSnapshot[]> {
    const tcRow = (): WorkerSnapshot[] =>
      this.tc
        ? [
            {
              interface: this.options.interface,
              index: this.options.workers,
              pid: process.pid,
              alive: true,
              state: 'running',
              restarts: 0,
              lastError: this.tc.attach === 'cls_bpf' ? 'attached as a cls_bpf filter: the kernel cannot remove it if the relay dies' : null,
              ignoreOutgoing: null,
              engine: 'tc',
              counters: this.tc.counters(),
            },
          ]
        : [];
    return [...tcRow(), ...(await this.workerRows())];
  }

  private async workerRows(): Promise<WorkerSnapshot[]> {
    return Promise.all(
      this.slots.map(async (slot) => {
        const current = slot.ready ? await this.requestCounters(slot) : null;
        if (current) slot.last = current;
        return {
          interface: this.options.interface,
          index: slot.index,
          pid: slot.child?.pid ?? null,
          alive: slot.ready,
          state: stateOf(slot),
          restarts: slot.restarts,
          lastError: slot.lastError,
          ignoreOutgoing: slot.ignoreOutgoing,
          engine: 'packet' as const,
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
        if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        this.post(slot, { type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    // Detached with the pool: closing the link (or removing the filter) frees the program.
    await this.tc?.close();
    this.tc = null;
  }

  private workerName(slot: Slot): string {
    return `${this.options.interface}#${slot.index}`;
  }

  private nativeFanout(): WorkerOptions['fanout'] {
    const { mode } = this.options.fanout;
    if (mode === 'off') return null;
    return this.fanoutId === null ? { mode: mode as NativeFanoutMode } : { mode: mode as NativeFanoutMode, id: this.fanoutId };
  }

  /** Starts a process in `slot`; resolves once it forwards with the current table, or failed to. */
  private spawn(slot: Slot): Promise<void> {
    const boot: WorkerBoot = {
      index: slot.index,
      options: {
        interface: this.options.interface,
        ifindex: this.options.ifindex,
        fanout: this.nativeFanout(),
        batchSize: this.options.dataPlane.batchSize,
        coalesceMicros: this.options.dataPlane.coalesceMicros,
        latencyBudgetMicros: this.options.dataPlane.latencyBudgetMicros,
        ...this.options.extraWorkerOptions,
      },
    };
    const { log } = this.options;
    const name = this.workerName(slot);
    slot.ready = false;
    slot.applied = false;
    const startedAt = Date.now();
    let child: ChildProcess;
    try {
      child = fork(WORKER_ENTRY, [JSON.stringify(boot)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    } catch (err) {
      // Out of processes or memory: a fault of the moment, not of this worker. Retry like a death.
      this.ended(slot, null, startedAt, false, `cannot fork a worker: ${(err as Error).message}`);
      return Promise.resolve();
    }
    slot.child = child;
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      let ended = false;
      const end = (why: string) => {
        if (ended) return;
        ended = true;
        const wasReady = slot.ready;
        this.ended(slot, child, startedAt, wasReady, why);
        settle();
      };
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            if (this.fanoutId === null && message.fanoutId !== null) this.fanoutId = message.fanoutId;
            this.interfaceLog.workerReady(message, this.fanoutId);
            slot.ignoreOutgoing = message.ignoreOutgoing.mode;
            slot.ready = true;
            log.debug(`worker ${name} pid ${child.pid} ready (fanout ${message.fanoutId ?? 'off'}, host's own frames kept out by ${message.ignoreOutgoing.mode})`);
            void this.requestTable(slot, this.table).then((answer) => {
              if (answer.ok) {
                slot.applied = true;
                slot.failing = false;
              } else if (slot.child === child) {
                this.firstTableRefused(slot, child, answer.reason);
              }
              settle();
            });
            break;
          case 'fatal':
            slot.lastError = message.message;
            log.error(`worker ${name} cannot start: ${message.message}`);
            if (!this.started) {
              // At start-up this is a configuration problem (no such interface, no permission): say so
              // and give up. Later it is a fault (the interface went away): keep restarting, with backoff.
              this.stopping = true;
              this.options.onFatal?.(message.message);
            }
            settle();
            break;
          case 'applied':
          case 'refused':
          case 'counters':
            this.requests.answer(message.requestId, message);
            break;
        }
      });
      child.on('error', (err) => {
        // Emitted when the process could not be spawned (then 'exit' may never come) or an IPC send
        // failed (the process is still there, and its 'exit' will follow if it dies).
        if (child.pid === undefined) end(`cannot fork a worker: ${err.message}`);
        else log.debug(`worker ${name}: ${err.message}`);
      });
      child.on('exit', (code, signal) => end(`pid ${child.pid} died (${signal ?? `exit ${code}`})`));
    });
  }

  /**
   * A restarted process refused the table its siblings run. It has joined the fanout group, and the
   * group hashes part of the input's flows to its ring, which nobody reads while it has no table: it
   * must leave. It is stopped, and its slot is retried as after a crash (backoff, then `failing`), so a
   * fault that clears (descriptors, memory) ends there.
   */
  private firstTableRefused(slot: Slot, child: ChildProcess, reason: string): void {
    slot.lastError = `table refused: ${reason}`;
    if (!this.started) {
      this.startRefusal ??= new TableRefused(this.workerName(slot), reason);
      return;
    }
    this.options.log.error(`worker ${this.workerName(slot)} refused the rule table its siblings run: ${reason}; it leaves the fanout group and is retried`);
    slot.ending = slot.lastError;
    slot.ready = false; // no table or counter request goes to it any more
    this.post(slot, { type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => clearTimeout(timer));
  }

  /** A slot's process is gone (or never came): settle its requests and schedule the next attempt. */
  private ended(slot: Slot, child: ChildProcess | null, startedAt: number, wasReady: boolean, why: string): void {
    const { log } = this.options;
    // A dead worker answers nothing: settle its requests now rather than at their timeout.
    this.requests.workerGone(slot);
    slot.ready = false;
    slot.applied = false;
    if (slot.child === child) slot.child = null;
    slot.retired = addCounters(slot.retired, slot.last);
    slot.last = emptyCounters();
    if (slot.ending !== null) why = slot.ending;
    slot.ending = null;
    if (this.stopping) return;
    slot.restarts++;
    slot.lastError = why;
    const decision = afterDeath(slot, Date.now(), startedAt, wasReady);
    Object.assign(slot, { deaths: decision.deaths, quickDeaths: decision.quickDeaths, failing: decision.failing });
    const delay = decision.delayMs;
    if (slot.failing) {
      log.error(
        `worker ${this.workerName(slot)} ${why}: ${slot.deaths.length} deaths within ${CRASH_LOOP.windowMs / 1000} s, ` +
          `failing; next attempt in ${delay / 1000} s (restart #${slot.restarts}). Other interfaces are not affected.`,
      );
    } else {
      log.warn(`worker ${this.workerName(slot)} ${why}; restart #${slot.restarts} in ${delay} ms`);
    }
    if (this.options.noRestart) {
      log.error(`worker ${this.workerName(slot)}: TEST-ONLY testOnly.noWorkerRestart: not restarted`);
      return;
    }
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this.stopping) void this.spawn(slot);
    }, delay);
  }

  private post(slot: Slot, message: ToWorker): void {
    const child = slot.child;
    if (child?.connected) child.send(message, (err) => err && this.options.log.debug(`ipc to worker ${slot.index}: ${err.message}`));
  }

  /** One request to one worker; null when it died or did not answer within `timeoutMs`. */
  private request(slot: Slot, message: ToWorker & { requestId: number }, timeoutMs: number): Promise<FromWorker | null> {
    return this.requests.request(slot, message, timeoutMs, (m) => this.post(slot, m));
  }

  private async requestTable(slot: Slot, table: RuleTableMessage): Promise<TableAnswer> {
    const child = slot.child;
    const answer = await this.request(slot, { type: 'rules', requestId: this.requests.id(), ...table }, TABLE_ANSWER_TIMEOUT_MS);
    if (answer?.type === 'applied') return { ok: true };
    if (answer?.type === 'refused') return { ok: false, reason: answer.message };
    return { ok: false, reason: slot.child === child && child !== null ? `no answer within ${TABLE_ANSWER_TIMEOUT_MS} ms` : 'the worker died before answering' };
  }

  private async requestCounters(slot: Slot): Promise<WorkerCounters | null> {
    const answer = await this.request(slot, { type: 'counters', requestId: this.requests.id() }, COUNTERS_TIMEOUT_MS);
    return answer?.type === 'counters' ? answer.counters : null;
  }
}

function stateOf(slot: Slot): WorkerState {
  if (slot.ready && slot.applied) return 'running';
  return slot.failing ? 'failing' : 'restarting';
}
