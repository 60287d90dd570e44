// Requests to worker processes and their answers, matched by request id. A request settles once: with
// the worker's answer, with null at its timeout, or with null when its worker dies (a dead worker
// answers nothing, so its requests need not wait for their timeouts).
import type { FromWorker, ToWorker } from './ipc.js';

type Pending<W> = { worker: W; answer: (m: FromWorker | null) => void };

export class WorkerRequests<W> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending<W>>();

  /** A fresh request id. */
  id(): number {
    return this.nextId++;
  }

  /** Sends `message` through `post` and resolves with the answer, or null (timeout, worker died). */
  request(worker: W, message: ToWorker & { requestId: number }, timeoutMs: number, post: (m: ToWorker) => void): Promise<FromWorker | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.requestId);
        resolve(null);
      }, timeoutMs);
      this.pending.set(message.requestId, {
        worker,
        answer: (m) => {
          clearTimeout(timer);
          this.pending.delete(message.requestId);
          resolve(m);
        },
      });
      post(message);
    });
  }

  /** A worker's answer to request `requestId` (ignored when that request has settled already). */
  answer(requestId: number, message: FromWorker): void {
    this.pending.get(requestId)?.answer(message);
  }

  /** Settles every request of a worker that died. */
  workerGone(worker: W): void {
    for (const p of [...this.pending.values()]) if (p.worker === worker) p.answer(null);
  }
}
