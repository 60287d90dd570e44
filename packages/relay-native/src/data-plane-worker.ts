// DataPlaneWorker: the TS face of one native forwarding thread. Validation and defaults here;
// the native handle stays private.
import { callNative } from './errors.js';
import { native, type NativeDataPlaneWorker } from './native.js';
import type { IgnoreOutgoingMode, OutgoingProbe, RuleSpec, TableContext, WorkerCounters, WorkerOptions } from './types.js';
import { markFastPath, normalizeRules, normalizeTableContext, normalizeWorkerOptions } from './validate.js';

export class DataPlaneWorker {
  readonly #native: NativeDataPlaneWorker;
  readonly #fanoutId: number | null;
  readonly #ignoreOutgoing: { mode: IgnoreOutgoingMode; probe: OutgoingProbe };
  #stopped: Promise<void> | null = null;

  /** Opens and binds sockets, joins the fanout group; throws NativeError. */
  constructor(options: WorkerOptions) {
    const o = normalizeWorkerOptions(options);
    this.#native = callNative(
      () => new native.DataPlaneWorker(
          o.interface,
          o.ifindex,
          o.fanoutMode,
          o.fanoutId,
          o.receiveBufferBytes,
          o.batchSize,
          o.coalesceMicros,
          o.allMulticast,
          o.injectedWorkNanos,
          o.latencyBudgetMicros,
          o.fanoutIgnoreOutgoingUnsupported,
        ),
    );
    this.#fanoutId = this.#native.fanoutId();
    this.#ignoreOutgoing = this.#native.ignoreOutgoing();
  }

  /** What keeps the host's own transmissions on the input out of the ring (decided when it opened). */
  get ignoreOutgoing(): IgnoreOutgoingMode {
    return this.#ignoreOutgoing.mode;
  }

  /** Why: what the start-up probe of PACKET_FANOUT_FLAG_IGNORE_OUTGOING found. */
  get outgoingProbe(): OutgoingProbe {
    return this.#ignoreOutgoing.probe;
  }

  /** The fanout group id in use (the kernel's pick when options.fanout.id is absent). */
  get fanoutId(): number | null {
    return this.#fanoutId;
  }

  /**
   * Atomic swap of an immutable table; counters (and rate-limit buckets) persist per rule id.
   * Throws TypeError/RangeError naming the argument path, or NativeError (an egress socket could
   * not be opened); the current table stays in force when it throws.
   */
  setRules(rules: RuleSpec[], context?: TableContext): void {
    const ownMacs = normalizeTableContext('context', context);
    const compiled = markFastPath(normalizeRules('rules', rules), context);
    callNative(() => this.#native.setRules(compiled, ownMacs));
  }

  /** Starts the native forwarding thread. */
  start(): void {
    callNative(() => this.#native.start());
  }

  /**
   * Idempotent. The native join returns within one batch (the loop polls an eventfd), so it is
   * done synchronously and the promise is already settled; sockets are closed.
   */
  stop(): Promise<void> {
    if (this.#stopped === null) {
      try {
        callNative(() => this.#native.stop());
        this.#stopped = Promise.resolve();
      } catch (error) {
        this.#stopped = Promise.reject(error);
      }
    }
    return this.#stopped;
  }

  /**
   * Throws a NativeError if the forwarding thread ended by itself (a failed poll on its socket):
   * the owner polls this and replaces the worker, rather than keep one that reads nothing.
   */
  checkHealth(): void {
    callNative(() => this.#native.checkHealth());
  }

  /** Thread-safe snapshot (relaxed atomics) plus PACKET_STATISTICS accumulated across reads. */
  counters(): WorkerCounters {
    return callNative(() => this.#native.counters());
  }
}
