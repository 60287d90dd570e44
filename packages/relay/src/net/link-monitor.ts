import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';

/**
 * After an event, read the interfaces this long later (the rest of a burst, e.g. an address change is
 * two or three messages, has come by then), and once more at the second figure, for state that
 * settles after its message (seen: an address change noticed hundreds of ms late without it).
 */
export const LINK_EVENT_READ_AFTER_MS = [10, 50] as const;
/** A monitor that died is started again after this. */
const RESTART_MS = 2000;

/**
 * rtnetlink link and address notifications, through `ip -o monitor link address` in the relay's
 * namespace: each event (an interface appearing, disappearing, renamed, up or down, an MTU or address
 * change) calls `onEvent` after each of LINK_EVENT_READ_AFTER_MS, coalescing bursts. The events are triggers only:
 * the interface watcher then reads the state itself, so a missed or misparsed message costs at most
 * the watcher's one-second poll, which stays as the backstop (and is all there is without `ip`).
 */
export class LinkMonitor {
  private child: ChildProcess | null = null;
  private stopped = false;
  private readonly pending: Array<NodeJS.Timeout | undefined> = LINK_EVENT_READ_AFTER_MS.map(() => undefined);
  private restart: NodeJS.Timeout | undefined;

  constructor(
    private readonly onEvent: () => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stopped) return;
    const child = spawn('ip', ['-o', 'monitor', 'link', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', () => {
      LINK_EVENT_READ_AFTER_MS.forEach((ms, i) => {
        this.pending[i] ??= setTimeout(() => {
          this.pending[i] = undefined;
          this.onEvent();
        }, ms);
      });
    });
    child.once('error', (err) => {
      this.log.warn(`interface events: cannot run "ip monitor" (${(err as NodeJS.ErrnoException).code ?? err.message}); interfaces are polled once a second only`);
      this.child = null;
    });
    child.once('exit', (code, signal) => {
      if (this.stopped || this.child !== child) return;
      this.child = null;
      this.log.warn(`interface events: "ip monitor" exited (${signal ?? code}); restarting in ${RESTART_MS} ms, polling meanwhile`);
      this.restart = setTimeout(() => this.start(), RESTART_MS);
      this.restart.unref();
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.pending) clearTimeout(t);
    clearTimeout(this.restart);
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
