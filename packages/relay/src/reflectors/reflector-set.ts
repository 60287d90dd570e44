// The relay's reflectors: built from the config at start, closed at shutdown (restart-only: a reload
// reports a changed `reflectors` section as ignoredUntilRestart). They share one loop cache.
import { DatagramSocket } from '@mcr/relay-native';
import type { Logger } from '../log.js';
import { interfaceAddresses } from '../net/interface-facts.js';
import { LoopCache } from './loop-cache.js';
import { Reflector, type OpenReflectorSocket, type ReflectorMemberships, type ReflectorRow } from './reflector.js';
import type { ReflectorConfig, ReflectorFamily } from './reflector-schema.js';

export const openDatagramSocket: OpenReflectorSocket = (options) => new DatagramSocket(options);

/** A `source: "relay"` copy's address: IPv4, the interface's first; IPv6, its link-local one (link-scoped answers come back to it). */
export function relayAddress(iface: string, family: ReflectorFamily): string | null {
  const a = interfaceAddresses(iface);
  return family === 'ipv4' ? a.ipv4 : a.ipv6LinkLocal;
}

export class ReflectorSet {
  private readonly reflectors: Reflector[];

  constructor(
    configs: readonly ReflectorConfig[],
    options: { log: Logger; ownMacs: () => readonly string[]; noLoopCache: boolean; memberships: ReflectorMemberships | null; open?: OpenReflectorSocket },
  ) {
    const cache = new LoopCache();
    let macs: readonly string[] = [];
    let set = new Set<string>();
    const ownMacs = () => {
      const now = options.ownMacs();
      if (now !== macs) set = new Set((macs = now).map((m) => m.toLowerCase()));
      return set;
    };
    this.reflectors = configs.map(
      (config) => new Reflector(config, {
          open: options.open ?? openDatagramSocket,
          ownMacs,
          cache,
          log: options.log,
          noLoopCache: options.noLoopCache,
          memberships: options.memberships,
          localAddress: relayAddress,
        }),
    );
  }

  start(log: Logger): void {
    for (const r of this.reflectors) {
      r.start();
      const c = r.config;
      log.info(`reflector ${c.id}: ${c.protocol} among ${c.interfaces.map((m) => m.name).join(', ')} (${c.families.join(', ')}), source ${c.source}`, { reflector: c.id });
    }
  }

  /** On every interface watcher poll: members whose interface appeared, went or came back (Reflector.refresh). */
  refresh(): void {
    for (const r of this.reflectors) r.refresh();
  }

  rows(): ReflectorRow[] {
    return this.reflectors.map((r) => r.row());
  }

  close(): void {
    for (const r of this.reflectors) r.close();
  }
}
