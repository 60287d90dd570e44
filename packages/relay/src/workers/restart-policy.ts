// When a dead worker slot gets its next process: at once after a crash, with a growing backoff while
// restarts keep failing quickly (the interface is gone, say), and slowly once it is in a crash loop.
// Pure: the pool keeps the history and acts on the decision.

const RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5000;
/** A process that ran this long before dying was stable: the quick-death backoff starts over. */
const STABLE_AFTER_MS = 10_000;

/**
 * A slot whose process died `deaths` times within `windowMs` is "failing": restarting it at the usual
 * pace would only burn CPU the other interfaces need, so it is retried every `retryMs` until a process
 * stays up.
 */
export const CRASH_LOOP = { deaths: 5, windowMs: 60_000, retryMs: 30_000 } as const;

/** What the policy remembers of a slot's deaths. */
export interface DeathHistory {
  /** When the slot's processes died, within CRASH_LOOP.windowMs. */
  deaths: number[];
  /** Restarts in a row whose process died soon after starting. */
  quickDeaths: number;
}

export interface RestartDecision extends DeathHistory {
  /** In a crash loop. */
  failing: boolean;
  delayMs: number;
}

/** The decision after a death at `now` of a process started at `startedAt` (ready or not). */
export function afterDeath(history: DeathHistory, now: number, startedAt: number, wasReady: boolean): RestartDecision {
  const deaths = [...history.deaths.filter((t) => now - t < CRASH_LOOP.windowMs), now];
  if (deaths.length >= CRASH_LOOP.deaths) {
    return { deaths, quickDeaths: history.quickDeaths, failing: true, delayMs: CRASH_LOOP.retryMs };
  }
  const quickDeaths = wasReady && now - startedAt > STABLE_AFTER_MS ? 0 : history.quickDeaths + 1;
  const delayMs = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** Math.max(0, quickDeaths - 1));
  return { deaths, quickDeaths, failing: false, delayMs };
}
