import { existsSync, readFileSync } from 'node:fs';
import { interfaceIsUp } from './interfaces.js';

export interface InterfaceState {
  /** null while the interface does not exist. */
  ifindex: number | null;
  up: boolean;
}

export interface InterfaceChange {
  name: string;
  before: InterfaceState;
  after: InterfaceState;
}

export function readInterfaceState(name: string): InterfaceState {
  const sys = `/sys/class/net/${name}`;
  if (!existsSync(sys)) return { ifindex: null, up: false };
  try {
    return { ifindex: Number(readFileSync(`${sys}/ifindex`, 'utf8').trim()), up: interfaceIsUp(name) };
  } catch {
    return { ifindex: null, up: false }; // removed between the two reads
  }
}

/**
 * Polls the state of the interfaces the relay uses and reports each change (down, up, gone, back with
 * a new ifindex). Polling sysfs once a second costs nothing measurable and needs no netlink socket; an
 * outage is noticed within a second, which is what recovery needs.
 */
export class InterfaceWatcher {
  private readonly known = new Map<string, InterfaceState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly names: () => string[],
    private readonly onChange: (change: InterfaceChange) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  states(): Array<{ name: string } & InterfaceState> {
    return [...this.known].map(([name, s]) => ({ name, ...s }));
  }

  poll(): void {
    const wanted = new Set(this.names());
    for (const name of this.known.keys()) if (!wanted.has(name)) this.known.delete(name);
    for (const name of wanted) {
      const after = readInterfaceState(name);
      const before = this.known.get(name);
      this.known.set(name, after);
      if (before && (before.ifindex !== after.ifindex || before.up !== after.up)) this.onChange({ name, before, after });
    }
  }
}
