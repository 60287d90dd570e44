// The reflectors' memory of what they reflected lately: a datagram (its group and payload) seen again
// within the window is a copy that came back (through another reflector, or a second member
// interface on the same link) and is suppressed. Discovery has no TTL to spend: mDNS is sent with 255
// by every hop. Pure bookkeeping on timestamps, testable without a kernel.
//
// Trade-off: a host that sends the very same bytes twice within the window is reflected once. mDNS
// repeats a query after 1 s at the soonest, doubling (RFC 6762 §5.2), and SSDP and WS-Discovery
// repeats only add copies, so a window of 1 s loses nothing a client relies on.
import { createHash } from 'node:crypto';

export const LOOP_CACHE_WINDOW_MS = 1000;
/** Entries kept at most; past it the oldest go first (a storm can not grow the cache without end). */
export const LOOP_CACHE_MAX_ENTRIES = 16_384;

export function datagramKey(group: string, payload: Uint8Array): string {
  return createHash('sha1').update(group).update('\0').update(payload).digest('base64');
}

export class LoopCache {
  /** key -> when it was last recorded; Map order is insertion order, so the oldest come first. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = LOOP_CACHE_WINDOW_MS, private readonly maxEntries = LOOP_CACHE_MAX_ENTRIES) {}

  /** Whether `key` was recorded within the window before `now`. */
  has(key: string, now: number): boolean {
    this.expire(now);
    const at = this.seen.get(key);
    return at !== undefined && now - at < this.windowMs;
  }

  record(key: string, now: number): void {
    this.seen.delete(key);
    this.seen.set(key, now);
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    for (const [key, at] of this.seen) {
      if (now - at < this.windowMs) break;
      this.seen.delete(key);
    }
  }
}
