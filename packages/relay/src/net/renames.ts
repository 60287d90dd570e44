import { readdirSync, readFileSync } from 'node:fs';

/** The name of the interface with `ifindex` in this namespace now, or null when there is none. */
export function nameOfIfindex(ifindex: number): string | null {
  for (const name of readdirSync('/sys/class/net')) {
    try {
      if (Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim()) === ifindex) return name;
    } catch {
      // removed while we listed
    }
  }
  return null;
}

/**
 * Interfaces renamed under the relay: rules name interfaces, the kernel knows them by ifindex. When a
 * name the rules use disappears while its ifindex lives on under another name, the relay follows the
 * ifindex (its sockets are bound to it anyway): sysfs and address lookups go to the new name, and
 * nothing is stopped or rebound. Renamed back, the alias goes.
 */
export class InterfaceRenames {
  private readonly current = new Map<string, string>();

  /** The name to look `configured` up under now. */
  resolve(configured: string): string {
    return this.current.get(configured) ?? configured;
  }

  follow(configured: string, now: string): void {
    if (now === configured) this.current.delete(configured);
    else this.current.set(configured, now);
  }

  forget(configured: string): void {
    this.current.delete(configured);
  }
}
