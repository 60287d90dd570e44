// Talking to a running mcr through its CLI and control socket, as an operator does (no relay code):
//   node <@mcr/relay>/bin/mcr.js stats|list|add|remove ... --control SOCK --json
import { isIPv6 } from 'node:net';
import { inNetns } from '@mcr/netns-lab';
import type { McrRelay } from '../relays/index.js';

/** `mcr stats --json` (control protocol v1): the parts the scenarios read. */
export interface McrStats {
  pid: number;
  rules: { id: string; input: { interface: string; group: string; port: number }; matched: number; outputs: { packets: number }[] }[];
  workers: { interface: string; index: number; pid: number | null; alive: boolean; restarts: number; forwarded: number; matched: number; framesSeen: number; noMatch: number }[];
  totals: { forwarded: number; matched: number; framesSeen: number; noMatch: number; workers: number; workersAlive: number; workerRestarts: number };
  igmp: { memberships: { interface: string; group: string }[] } & Record<string, unknown>;
  /** Listeners heard on outputs with forward "listeners" (source null: a group-wide row). */
  listeners?: McrListener[];
  /** The querier role on each interface that has such an output. */
  queriers?: McrQuerier[];
}

export interface McrListener {
  interface: string;
  family: 'ipv4' | 'ipv6';
  group: string;
  source: string | null;
  mode: string;
  expiresInMs: number | null;
  lastReporter: string | null;
}

export interface McrQuerier {
  interface: string;
  family: 'ipv4' | 'ipv6';
  state: 'querier' | 'non-querier';
  /** The address of the current querier (the relay's own when it is the querier). */
  querier: string | null;
  version: number;
}

/** `IFACE:GROUP:PORT[:TTL]` as the mcr CLI takes endpoints, an IPv6 group in brackets (`in0:[ff3e::1:1]:5001`). */
export function mcrEndpoint(ifname: string, group: string, port: number, ttl?: number): string {
  return `${ifname}:${isIPv6(group) ? `[${group}]` : group}:${port}${ttl === undefined ? '' : `:${ttl}`}`;
}

export class McrControl {
  constructor(private readonly relay: McrRelay, private readonly ns: string) {}

  private get socket(): string {
    const s = this.relay.controlSocket;
    if (!s) throw new Error('mcr is not running: no control socket');
    return s;
  }

  /** Runs `mcr <args> --control SOCK --json` in the relay namespace; resolves with the parsed JSON. */
  async call<T = unknown>(args: string[]): Promise<T> {
    const bin = this.relay.bin;
    if (!bin) throw new Error('mcr CLI not found');
    const { stdout } = await inNetns(this.ns, process.execPath, [bin, ...args, '--control', this.socket, '--json'], { timeout: 15_000 });
    try {
      return JSON.parse(stdout) as T;
    } catch (cause) {
      throw new Error(`mcr ${args.join(' ')}: no JSON on stdout: ${stdout.slice(0, 300)}`, { cause });
    }
  }

  stats(): Promise<McrStats> {
    return this.call<McrStats>(['stats']);
  }

  /** `mcr add --id ID --input IF:G:P --output IF:G:P:TTL ...` */
  add(rule: { id: string; input: string; outputs: string[] }): Promise<unknown> {
    return this.call(['add', '--id', rule.id, '--input', rule.input, ...rule.outputs.flatMap((o) => ['--output', o])]);
  }

  remove(id: string): Promise<unknown> {
    return this.call(['remove', id]);
  }

  async ruleIds(): Promise<string[]> {
    const r = await this.call<unknown>(['list']);
    const rules = Array.isArray(r) ? r : ((r as { rules?: unknown[] }).rules ?? []);
    return (rules as { id: string }[]).map((x) => x.id);
  }
}
