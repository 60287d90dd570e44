// One normalise/validate step for the options both wrappers share. Messages name the option,
// the expectation and the value received; the native tools re-check, but a TypeError here
// points at the caller's line instead of at a child process's exit code.
import { BlockList, isIP, isIPv6 } from 'node:net';

export interface StreamTarget {
  /** Destination IPv4 or IPv6 address (bare, no brackets): a multicast group, or a unicast address. */
  group: string;
  /** UDP port, 1..65535. */
  port: number;
}

export function checkStreams(name: string, streams: readonly StreamTarget[] | undefined): void {
  if (!Array.isArray(streams) || streams.length === 0) {
    throw new TypeError(`${name}: expected a non-empty array of { group, port }, got ${JSON.stringify(streams)}`);
  }
  streams.forEach((s, i) => {
    if (typeof s?.group !== 'string' || isIP(s.group) === 0) {
      throw new TypeError(`${name}[${i}].group: expected an IPv4 or IPv6 address (no brackets), got ${JSON.stringify(s?.group)}`);
    }
    checkInt(`${name}[${i}].port`, s.port, 1, 65535);
  });
}

export function checkInt(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name}: expected an integer, got ${JSON.stringify(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name}: expected ${min}..${max}, got ${value}`);
  }
}

export function checkSeconds(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name}: expected a number of seconds > 0, got ${JSON.stringify(value)}`);
  }
}

export function checkInterface(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 15) {
    throw new TypeError(`${name}: expected an interface name of 1..15 characters, got ${JSON.stringify(value)}`);
  }
}

/** A unicast IPv4 or IPv6 address of the same family as every stream (a sender to filter on). */
export function checkSource(name: string, value: unknown, streams: readonly StreamTarget[]): void {
  const family = typeof value === 'string' ? isIP(value) : 0;
  if (family === 0) throw new TypeError(`${name}: expected an IPv4 or IPv6 address, got ${JSON.stringify(value)}`);
  streams.forEach((s, i) => {
    if (isIP(s.group) !== family) {
      throw new TypeError(`${name}: ${JSON.stringify(value)} is IPv${family} but streams[${i}].group ${JSON.stringify(s.group)} is not`);
    }
  });
}

/** All streams in one family: mcr-send sends from one socket. */
export function checkOneFamily(name: string, streams: readonly StreamTarget[]): void {
  const family = isIP(streams[0]!.group);
  streams.forEach((s, i) => {
    if (isIP(s.group) !== family) {
      throw new TypeError(`${name}[${i}].group: every stream of one sender must be IPv${family} like ${name}[0], got ${JSON.stringify(s.group)}`);
    }
  });
}

const MULTICAST = new BlockList();
MULTICAST.addSubnet('224.0.0.0', 4, 'ipv4');
MULTICAST.addSubnet('ff00::', 8, 'ipv6');

/** Every stream a multicast group (224.0.0.0/4, ff00::/8), for what needs one, e.g. raw frames. */
export function checkMulticast(name: string, streams: readonly StreamTarget[], why: string): void {
  streams.forEach((s, i) => {
    if (!MULTICAST.check(s.group, isIPv6(s.group) ? 'ipv6' : 'ipv4')) {
      throw new TypeError(`${name}[${i}].group: expected a multicast group (${why}), got ${JSON.stringify(s.group)}`);
    }
  });
}

/** `GROUP:PORT`, IPv6 in brackets (`[ff3e::1:1]:5001`), as the native tools take them. */
export const streamArgs = (streams: readonly StreamTarget[]): string[] =>
  streams.flatMap((s) => ['--stream', isIPv6(s.group) ? `[${s.group}]:${s.port}` : `${s.group}:${s.port}`]);
