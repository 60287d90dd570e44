// The chain (src ns -> relay ns -> sink ns) that the data-plane safety tests share: one lab per
// test file, a fresh agent and worker per test, traffic from the lab's mcr-send and crafted frames.
import { expect } from 'vitest';
import { chain, injectFrames, runSender, uniquePrefix, up, type Lab } from '@mcr/netns-lab';

import type { OutputSpec, RuleSpec, TableContext, WorkerCounters, WorkerOptions } from '../../src/index.js';
import { NamespaceAgent } from './agent.js';
import { linkInfo, waitFor } from './lab.js';

export const IN_GROUP = '239.1.1.1';
export const IN_PORT = 5001;
export const OUT_GROUP = '239.9.9.1';
export const OUT_PORT = 6001;

export class ChainBed {
  readonly ns = { src: '', relay: '', sink: '' };
  readonly dev = { src: '', relayIn: '', relayOut: '', sink: '' };
  readonly mac = { src: '', relayIn: '', relayOut: '' };
  /** The sink's IPv4 address: the destination of unicast outputs. */
  sinkAddress = '';
  /** The relay input's IPv4 address (a TCP endpoint for traffic that crosses the input). */
  relayInAddress = '';
  inIfindex = 0;
  #outIfindex = 0;
  #outAddress = '';
  #lab: Lab | null = null;
  #cleanups: Array<() => Promise<unknown>> = [];

  async up(): Promise<void> {
    this.#lab = await up(chain({ prefix: uniquePrefix() }));
    const { source, relay, sinks } = this.#lab.topo;
    const input = relay.inputs[0]!;
    const output = relay.outputs[0]!;
    Object.assign(this.ns, { src: source.ns, relay: relay.ns, sink: sinks[0]!.ns });
    Object.assign(this.dev, { src: source.ifname, relayIn: input.ifname, relayOut: output.ifname, sink: sinks[0]!.ifname });
    const inLink = await linkInfo(this.ns.relay, this.dev.relayIn);
    const outLink = await linkInfo(this.ns.relay, this.dev.relayOut);
    this.inIfindex = inLink.ifindex;
    this.#outIfindex = outLink.ifindex;
    this.#outAddress = output.ip;
    this.sinkAddress = sinks[0]!.ip;
    this.relayInAddress = input.ip;
    Object.assign(this.mac, { src: (await linkInfo(this.ns.src, this.dev.src)).mac, relayIn: inLink.mac, relayOut: outLink.mac });
  }

  /** The lab under the bed (after up()). */
  get lab(): Lab {
    if (this.#lab === null) throw new Error('ChainBed.up() first');
    return this.#lab;
  }

  async down(): Promise<void> {
    await this.#lab?.down();
  }

  /** Runs after each test: agents (and their workers) and captures go. */
  async cleanup(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }

  onCleanup(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  /** A multicast output on the relay's out0 towards the sink. */
  output(port = OUT_PORT, extra: Partial<OutputSpec> = {}): OutputSpec {
    return {
      interface: this.dev.relayOut,
      ifindex: this.#outIfindex,
      group: OUT_GROUP,
      port,
      ttl: 8,
      sourceAddress: this.#outAddress,
      sourceMac: this.mac.relayOut,
      ...extra,
    };
  }

  rule(id: string, outputs: OutputSpec[], extra: Partial<RuleSpec> = {}): RuleSpec {
    return { id, group: IN_GROUP, port: IN_PORT, outputs, ...extra };
  }

  agent(): NamespaceAgent {
    const agent = new NamespaceAgent(this.ns.relay);
    this.#cleanups.push(() => agent.close());
    return agent;
  }

  /** A started worker 'w' on the relay's input with these rules. */
  async worker(rules: RuleSpec[], context?: TableContext, options: Partial<WorkerOptions> = {}): Promise<Worker> {
    const agent = this.agent();
    const workerOptions: WorkerOptions = { interface: this.dev.relayIn, ifindex: this.inIfindex, fanout: { mode: 'hash' }, ...options };
    await agent.call('worker.new', { id: 'w', options: workerOptions });
    await agent.call('worker.setRules', { id: 'w', rules, context });
    await agent.call('worker.start', { id: 'w' });
    return new Worker(agent);
  }

  /** `count` datagrams from the source (mcr-send: a UDP socket, so veth hands them over with a partial checksum). */
  async send(count: number, options: { rate?: number; ttl?: number } = {}): Promise<void> {
    const sent = await runSender({
      netns: this.ns.src,
      interface: this.dev.src,
      streams: [{ group: IN_GROUP, port: IN_PORT }],
      count,
      size: 64,
      ttl: options.ttl ?? 8,
      rate: options.rate ?? 10_000,
    });
    expect(sent.sent).toBe(count);
  }

  /** Crafted frames written raw on the source's interface (complete checksums, tags, bad headers). */
  async inject(frames: Buffer[]): Promise<void> {
    await injectFrames(this.ns.src, this.dev.src, frames);
  }
}

export class Worker {
  constructor(readonly agent: NamespaceAgent) {}

  counters(): Promise<WorkerCounters> {
    return this.agent.call<WorkerCounters>('worker.counters', { id: 'w' });
  }

  /** Waits until `done` holds (or 10 s pass), then checks the counting rule on what it read. */
  async waitFor(done: (c: WorkerCounters) => boolean): Promise<WorkerCounters> {
    const c = await waitFor(() => this.counters(), done);
    expectCountingRule(c);
    return c;
  }

  setRules(rules: RuleSpec[], context?: TableContext): Promise<unknown> {
    return this.agent.call('worker.setRules', { id: 'w', rules, context });
  }

  stop(): Promise<unknown> {
    return this.agent.call('worker.stop', { id: 'w' });
  }
}

/**
 * framesSeen = matched + noMatch + malformed + fragments + ownFrames + badChecksum + extensionHeaders;
 * ttlExpired and rateLimited are parts of matched; the rules' rateLimited and the outputs'
 * notListened add up to the worker's (no test here drops a rule that counted either).
 */
export function expectCountingRule(c: WorkerCounters): void {
  expect(c.framesSeen).toBe(c.matched + c.noMatch + c.malformed + c.fragments + c.ownFrames + c.badChecksum + c.extensionHeaders);
  expect(c.ttlExpired + c.rateLimited).toBeLessThanOrEqual(c.matched);
  expect(c.rateLimited).toBe(c.rules.reduce((sum, rule) => sum + rule.rateLimited, 0));
  expect(c.notListened).toBe(c.rules.reduce((sum, rule) => sum + rule.outputs.reduce((n, o) => n + o.notListened, 0), 0));
}
