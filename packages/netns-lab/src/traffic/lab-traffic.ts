// Traffic for tests on a lab (the lab's own, and forwardThrough for the packages above it): the
// native mcr-send / mcr-recv via runSender / startReceiver, the one set of traffic tools. Stream ids are the 0-based order of the streams
// handed to the sender, and mcr-recv expects the same order; a packet carrying another id is
// counted as foreign.
import type { Endpoint } from '../topology/index.js';
import { startReceiver, type ReceiverHandle } from './receiver.js';
import { runSender, type SenderResult } from './sender.js';
import type { StreamTarget } from './validate.js';

/** Every test path may cross up to three kernel routers: TTL 1 would die at the first one. */
export const TTL = 8;
/** Aggregate pps: far below what socat forwards (~50 kpps), so a loss is a path bug, not load. */
export const RATE = 5000;

/**
 * Sends 3 packets per stream, then waits: a kernel relay turns (*,G) into (S,G) on the first
 * packets. Call it before the receiver exists, so these packets are never counted.
 */
export async function prime(src: Endpoint, streams: StreamTarget[]): Promise<void> {
  await runSender({ netns: src.ns, streams, count: 3, rate: 100, ttl: TTL, interface: src.ifname });
  await new Promise((r) => setTimeout(r, 300));
}

/**
 * mcr-recv at `at` (joined on its ifname), ready when this resolves. It stops 1 s after the last
 * packet (or after 20 s if none arrives); read the report with `await rx.result`.
 */
export function receive(at: Endpoint, streams: StreamTarget[], expect: number): Promise<ReceiverHandle> {
  return startReceiver({ netns: at.ns, interface: at.ifname, streams, expect, idleMs: 1000, durationSec: 20 });
}

/** Sends `count` packets per stream from `src` out of its ifname, TTL 8, RATE pps. */
export function send(src: Endpoint, streams: StreamTarget[], count: number): Promise<SenderResult> {
  return runSender({ netns: src.ns, streams, count, rate: RATE, ttl: TTL, interface: src.ifname });
}
