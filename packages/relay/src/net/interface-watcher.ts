import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { addressesDiffer, interfaceAddresses } from './interface-facts.js';
import { interfaceIsUp } from './interfaces.js';
import { InterfaceRenames, nameOfIfindex } from './renames.js';

export interface InterfaceState {
  /** null while the interface does not exist. */
  ifindex: number | null;
  up: boolean;
  /** Its first IPv4 address, null while it has none: IPv4 outputs send from it. */
  ipv4: string | null;
  /** Its first global IPv6 address, null while it has none: IPv6 outputs send from it. */
  ipv6: string | null;
  /** Its fe80:: address: IPv6 outputs to link-local scope groups (or without a global address) send from it. */
  ipv6LinkLocal: string | null;
  /** Its MTU (0 while it does not exist): the workers' ring slots are sized from it. */
  mtu: number;
  /** Its MAC address, null while it does not exist: the source MAC of what is sent on it, and one the loop guard knows. */
  mac: string | null;
  /** The name it has now, when it was renamed after the rules named it (followed by ifindex). */
  renamedTo?: string;
}

export interface InterfaceChange {
  name: string;
  before: InterfaceState;
  after: InterfaceState;
}

type Addresses = ReturnType<typeof networkInterfaces>;

const ABSENT: InterfaceState = { ifindex: null, up: false, ipv4: null, ipv6: null, ipv6LinkLocal: null, mtu: 0, mac: null };

export function readInterfaceState(name: string, addresses: Addresses = networkInterfaces()): InterfaceState {
  const sys = `/sys/class/net/${name}`;
  if (!existsSync(sys)) return ABSENT;
  try {
    const mtu = Number(readFileSync(`${sys}/mtu`, 'utf8').trim());
    const mac = readFileSync(`${sys}/address`, 'utf8').trim().toLowerCase();
    return { ifindex: Number(readFileSync(`${sys}/ifindex`, 'utf8').trim()), up: interfaceIsUp(name), ...interfaceAddresses(name, addresses), mtu, mac };
  } catch {
    return ABSENT; // removed between the reads
  }
}

/**
 * Polls the state of the interfaces the relay uses and reports each change (down, up, gone, back with
 * a new ifindex, a new or lost IPv4 or IPv6 address, a new MTU or MAC). It reads sysfs when an rtnetlink event arrives
 * (LinkMonitor: within about 10 ms) and once a second anyway, the backstop for a missed event.
 */
/** How often the watcher reads the interfaces in use when no event asks it to, milliseconds. */
export const INTERFACE_POLL_MS = 1000;

export class InterfaceWatcher {
  private readonly known = new Map<string, InterfaceState>();
  private timer: NodeJS.Timeout | undefined;
  private onEveryPoll: (() => void) | undefined;

  constructor(
    private readonly names: () => string[],
    private readonly onChange: (change: InterfaceChange) => void,
    private readonly intervalMs = INTERFACE_POLL_MS,
    private readonly renames = new InterfaceRenames(),
    private readonly onRename: (configured: string, now: string) => void = () => undefined,
  ) {}

  start(onEveryPoll?: () => void): void {
    this.onEveryPoll = onEveryPoll;
    this.poll();
    this.timer = setInterval(() => this.pollNow(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads every interface now (an rtnetlink event said something changed), as a poll does. */
  pollNow(): void {
    if (this.timer === undefined) return; // stopped
    this.poll();
    this.onEveryPoll?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  states(): Array<{ name: string } & InterfaceState> {
    return [...this.known].map(([name, s]) => ({ name, ...s }));
  }

  private read(name: string, addresses: Addresses): InterfaceState {
    const actual = this.renames.resolve(name);
    const state = readInterfaceState(actual, addresses);
    return actual === name ? state : { ...state, renamedTo: actual };
  }

  poll(): void {
    const wanted = new Set(this.names());
    for (const name of this.known.keys()) if (!wanted.has(name)) this.known.delete(name);
    const addresses = networkInterfaces(); // one getifaddrs per poll, not one per interface
    for (const name of wanted) {
      const before = this.known.get(name);
      let after = this.read(name, addresses);
      if (after.ifindex === null && before?.ifindex != null) {
        // Gone by name: renamed (the ifindex lives on) or really gone.
        const now = nameOfIfindex(before.ifindex);
        if (now !== null) {
          this.renames.follow(name, now);
          this.onRename(name, now);
          after = this.read(name, addresses);
        } else this.renames.forget(name);
      }
      this.known.set(name, after);
      const changed = before && (before.ifindex !== after.ifindex || before.up !== after.up || addressesDiffer(before, after) || before.mtu !== after.mtu || before.mac !== after.mac);
      if (changed) this.onChange({ name, before, after });
    }
  }
}
