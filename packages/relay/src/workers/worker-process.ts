import { DataPlaneWorker, WORKER_DEFAULTS } from '@mcr/relay-native';
import type { FromWorker, RuleTableMessage, ToWorker, WorkerBoot } from './ipc.js';

// A data-plane worker process: one native DataPlaneWorker on one input interface. Packets never touch
// this process's JavaScript: the native thread forwards; this event loop only swaps rule tables and
// answers counter requests. A crash here is isolated from the supervisor, which restarts us.

const send = (message: FromWorker) => process.send?.(message);
const HEALTH_CHECK_MS = 500;

function main(): void {
  const boot = JSON.parse(process.argv[2] ?? '{}') as WorkerBoot;
  let worker: DataPlaneWorker;
  try {
    worker = new DataPlaneWorker(boot.options);
  } catch (err) {
    const e = err as Error & { code?: string };
    send({ type: 'fatal', message: e.message, ...(e.code ? { code: e.code } : {}) });
    process.exitCode = 1;
    if (process.connected) process.disconnect();
    return;
  }
  let started = false;
  let stopping = false;

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    if (process.connected) process.disconnect();
    process.exit(process.exitCode ?? 0);
  };

  /**
   * A table the data plane refuses leaves the one in force (or none yet) untouched: the supervisor
   * hears why and rolls the change back. A refusal is an answer, never a reason to die.
   */
  const applyTable = (table: RuleTableMessage): string | null => {
    try {
      worker.setRules(table.rules, table.context);
    } catch (err) {
      return (err as Error).message;
    }
    // The first table arrives right after we report ready: start only then, so nothing read before
    // it is counted as unmatched.
    if (!started) {
      try {
        worker.start();
      } catch (err) {
        return `cannot start forwarding: ${(err as Error).message}`;
      }
      started = true;
    }
    return null;
  };

  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'rules': {
        const refusal = applyTable(message);
        send(refusal === null ? { type: 'applied', requestId: message.requestId } : { type: 'refused', requestId: message.requestId, message: refusal });
        break;
      }
      case 'counters':
        try {
          send({ type: 'counters', requestId: message.requestId, counters: worker.counters() });
        } catch {
          // No counters this time: the supervisor's request times out and it keeps the last ones.
          // The health check reports a broken data plane; a counter read is no reason to die.
        }
        break;
      case 'stop':
        void stop();
        break;
    }
  });
  // The supervisor is gone (crashed or killed): never outlive it as an orphan that forwards.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => {
    /* the supervisor handles Ctrl-C for the whole process group */
  });
  // The forwarding thread can die on its own (its socket failed); then this process is useless:
  // say why and exit, and the supervisor starts a fresh one.
  const health = setInterval(() => {
    try {
      worker.checkHealth();
    } catch (err) {
      const e = err as Error & { code?: string };
      clearInterval(health);
      send({ type: 'fatal', message: `forwarding thread ended: ${e.message}`, ...(e.code ? { code: e.code } : {}) });
      process.exitCode = 1;
      void stop();
    }
  }, HEALTH_CHECK_MS);
  health.unref();
  // The pacing this data plane runs with, so the supervisor can say what the workers really got.
  const pacing = {
    coalesceMicros: boot.options.coalesceMicros ?? WORKER_DEFAULTS.coalesceMicros,
    latencyBudgetMicros: boot.options.latencyBudgetMicros ?? WORKER_DEFAULTS.latencyBudgetMicros,
  };
  send({ type: 'ready', fanoutId: worker.fanoutId, pacing, ignoreOutgoing: { mode: worker.ignoreOutgoing, probe: worker.outgoingProbe } });
}

main();
