// src ns -> relay ns (DataPlaneWorker) -> sink ns: the lab's chain, real kernel throughout. Traffic is
// the lab's: native mcr-send from the source, mcr-recv in the sink counting unique / duplicates /
// missing by sequence number; malformed frames are injected raw with the lab's injectFrames.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  chain,
  injectFrames,
  runSender,
  startReceiver,
  udpFrame,
  uniquePrefix,
  up,
  type Lab,
  type ReceiverHandle,
  type ReceiverResult,
  type StreamReport,
} from '@mcr/netns-lab';

import type { RuleSpec, WorkerCounters, WorkerOptions } from '../src/index.js';
import { AgentCallError, NamespaceAgent } from './helpers/agent.js';
import { linkInfo, waitFor } from './helpers/lab.js';

const N = 1000;
const IN_GROUP = '239.1.1.1';
const IN_PORT = 5001;
const OUT_GROUP = '239.9.9.1';
const OUT_PORT = 6001;
const PAYLOAD = 64; // bytes of UDP payload per packet (mcr-send's minimum): the byte counters below use it
/** A sink ends once it has seen no packet for this long (after the first): traffic is over. */
const IDLE_MS = 1500;

describe('DataPlaneWorker (src -> relay -> sink namespaces)', () => {
  let lab: Lab;
  let inIfindex = 0;
  let rule: RuleSpec;
  const cleanups: Array<() => Promise<unknown>> = [];

  // Filled in beforeAll from the lab's topology (chain: src eth0 10.1.0.1 -> rly in0 10.1.0.2 /
  // out0 10.2.0.1 -> snk eth0 10.2.0.2).
  const ns = { src: '', relay: '', sink: '' };
  const dev = { src: '', relayIn: '', relayOut: '', sink: '' };
  const addr = { relayOut: '', sink: '' };

  beforeAll(async () => {
    lab = await up(chain({ prefix: uniquePrefix() }));
    const { source, relay, sinks } = lab.topo;
    const input = relay.inputs[0]!;
    const output = relay.outputs[0]!;
    const sink = sinks[0]!;
    Object.assign(ns, { src: source.ns, relay: relay.ns, sink: sink.ns });
    Object.assign(dev, { src: source.ifname, relayIn: input.ifname, relayOut: output.ifname, sink: sink.ifname });
    Object.assign(addr, { relayOut: output.ip, sink: sink.ip });
    inIfindex = (await linkInfo(ns.relay, dev.relayIn)).ifindex;
    const out = await linkInfo(ns.relay, dev.relayOut);
    rule = {
      id: 'r1',
      group: IN_GROUP,
      port: IN_PORT,
      outputs: [
        {
          interface: dev.relayOut,
          ifindex: out.ifindex,
          group: OUT_GROUP,
          port: OUT_PORT,
          ttl: 8,
          sourceAddress: addr.relayOut,
          sourceMac: out.mac,
        },
      ],
    };
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  afterAll(async () => {
    await lab?.down();
  });

  /**
   * mcr-recv in the sink namespace on GROUP:PORT (a unicast address: bound, nothing joined), expecting
   * N packets. It exits `idleMs` after the last packet (traffic over), or at stop(); null: only at stop().
   */
  async function startSink(group = OUT_GROUP, port = OUT_PORT, idleMs: number | null = IDLE_MS): Promise<ReceiverHandle> {
    const sink = await startReceiver({
      netns: ns.sink,
      interface: dev.sink,
      streams: [{ group, port }],
      expect: N,
      ...(idleMs === null ? {} : { idleMs }),
      durationSec: 60,
    });
    cleanups.push(() => sink.stop());
    return sink;
  }

  /** N packets (seq 0..N-1, PAYLOAD bytes, TTL 8) from the source to IN_GROUP:IN_PORT. */
  async function send(): Promise<void> {
    const sent = await runSender({
      netns: ns.src,
      interface: dev.src,
      streams: [{ group: IN_GROUP, port: IN_PORT }],
      count: N,
      size: PAYLOAD,
      ttl: 8,
      rate: 10_000,
    });
    expect(sent.sent).toBe(N);
  }

  function startAgent(): NamespaceAgent {
    const agent = new NamespaceAgent(ns.relay);
    cleanups.push(() => agent.close());
    return agent;
  }

  async function startWorker(agent: NamespaceAgent, id: string, fanout: WorkerOptions['fanout']): Promise<number | null> {
    const options: WorkerOptions = { interface: dev.relayIn, ifindex: inIfindex, fanout };
    const { fanoutId } = await agent.call<{ fanoutId: number | null }>('worker.new', { id, options });
    await agent.call('worker.setRules', { id, rules: [rule] });
    await agent.call('worker.start', { id });
    return fanoutId;
  }

  const counters = (agent: NamespaceAgent, id: string) => agent.call<WorkerCounters>('worker.counters', { id });

  /** Waits until the sink has ended (idle after the traffic) and returns its one stream's counts. */
  async function settle(sink: ReceiverHandle): Promise<StreamReport> {
    const report: ReceiverResult = await sink.result;
    return report.streams[0]!;
  }

  it('forwards every packet exactly once and counts it', async () => {
    const sink = await startSink();
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'hash' });
    await send();
    const report = await settle(sink);
    expect(report).toMatchObject({ received: N, unique: N, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.matched >= N);
    expect(c.matched).toBe(N);
    expect(c.forwarded).toBe(N);
    expect(c.txErrors).toBe(0);
    expect(c.malformed).toBe(0);
    expect(c.framesSeen).toBe(c.matched + c.noMatch + c.malformed + c.fragments + c.ownFrames + c.badChecksum + c.extensionHeaders);
    expect(c.kernelPackets).toBeGreaterThanOrEqual(N);
    expect(c.kernelDrops).toBe(0);
    expect(c.rules).toEqual([{ id: 'r1', matched: N, bytes: N * PAYLOAD, rateLimited: 0, outputs: [{ packets: N, bytes: N * (42 + PAYLOAD), txErrors: 0, notListened: 0 }] }]);
    await agent.call('worker.stop', { id: 'w' }); // settles, twice
  });

  it('splits one interface between two workers in a hash fanout group: no duplicates', async () => {
    const sink = await startSink();
    const agent = startAgent();
    const first = await startWorker(agent, 'a', { mode: 'hash' });
    expect(first).toEqual(expect.any(Number));
    const second = await startWorker(agent, 'b', { mode: 'hash', id: first! });
    expect(second).toBe(first);
    await send();
    const report = await settle(sink);
    expect(report).toMatchObject({ received: N, unique: N, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    const [a, b] = [await counters(agent, 'a'), await counters(agent, 'b')];
    expect(a.matched + b.matched).toBe(N);
    expect(a.forwarded + b.forwarded).toBe(N);
  });

  it('duplicates every packet with two workers and no fanout group (negative control)', async () => {
    const sink = await startSink();
    const agent = startAgent();
    expect(await startWorker(agent, 'a', null)).toBeNull();
    expect(await startWorker(agent, 'b', null)).toBeNull();
    await send();
    const report = await settle(sink);
    expect(report).toMatchObject({ received: 2 * N, unique: N, duplicates: N, missing: 0, corrupt: 0, foreign: 0 });
    const [a, b] = [await counters(agent, 'a'), await counters(agent, 'b')];
    expect(a.matched + b.matched).toBe(2 * N);
  });

  it('keeps fragments and unmatched groups out of userspace (kernel filter); counts a malformed frame that passes it', async () => {
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'lb' });
    // The ring's filter passes only unfragmented IPv4 UDP to the table's (group, port) keys.
    const fragment = udpFrame({ group: IN_GROUP, port: IN_PORT, fragment: { moreFragments: true, offset: 0 } });
    const otherGroup = udpFrame({ group: '239.1.1.2', port: IN_PORT });
    const bad = udpFrame({ group: IN_GROUP, port: IN_PORT });
    bad.writeUInt16BE(4, 14 + 20 + 4); // UDP length 4: past the filter (right group and port), malformed
    await injectFrames(ns.src, dev.src, [fragment, otherGroup, bad]);
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.malformed >= 1);
    expect(c.malformed).toBe(1);
    expect(c.fragments).toBe(0);
    expect(c.noMatch).toBe(0);
    expect(c.framesSeen).toBe(1);
    expect(c.matched).toBe(0);
    expect(c.forwarded).toBe(0);
  });

  it('swaps rules while running: counters persist per id, a new output gets its own socket', async () => {
    // The multicast sink spans both sends, so it must not end on the pause between them: it has no
    // idle limit and is stopped below, once the unicast sink (same egress pass) has gone idle.
    const sink = await startSink(OUT_GROUP, OUT_PORT, null);
    const unicastSink = await startSink(addr.sink, OUT_PORT + 1);
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'hash' });
    await send();
    // Every packet of the first send handled under the first table before the swap.
    expect((await waitFor(() => counters(agent, 'w'), (v) => v.forwarded >= N)).forwarded).toBe(N);
    // Same rule id, plus a unicast output (UDP socket path); plus a rule that matches nothing.
    const unicastOutput = { ...rule.outputs[0]!, group: addr.sink, port: OUT_PORT + 1 };
    const swapped: RuleSpec[] = [
      { ...rule, outputs: [rule.outputs[0]!, unicastOutput] },
      { ...rule, id: 'r2', group: '239.1.1.2' },
    ];
    await agent.call('worker.setRules', { id: 'w', rules: swapped });
    await send();
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.forwarded >= 3 * N);
    expect(await settle(unicastSink)).toMatchObject({ received: N, unique: N, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    const both = (await sink.stop()).streams[0]!;
    expect(both).toMatchObject({ received: 2 * N, unique: N, duplicates: N, missing: 0, corrupt: 0, foreign: 0 });
    expect(c.matched).toBe(2 * N);
    expect(c.forwarded).toBe(3 * N);
    expect(c.rules.map((r) => [r.id, r.matched, r.outputs.map((o) => o.packets)])).toEqual([
      ['r1', 2 * N, [2 * N, N]],
      ['r2', 0, [0]],
    ]);
  });

  it('reports a missing interface as NativeError ENODEV (the ring reads its MTU first)', async () => {
    const agent = startAgent();
    const options: WorkerOptions = { interface: 'nosuchdev', ifindex: 99999, fanout: { mode: 'hash' } };
    const error = await agent.call('worker.new', { id: 'x', options }).catch((e: unknown) => e);
    expect((error as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'ENODEV', syscall: 'ioctl', interface: 'nosuchdev' });
  });

  it('rejects joining a fanout group with a different mode (NativeError EINVAL)', async () => {
    const agent = startAgent();
    const first = await startWorker(agent, 'a', { mode: 'hash' });
    const options: WorkerOptions = { interface: dev.relayIn, ifindex: inIfindex, fanout: { mode: 'cpu', id: first! } };
    const error = await agent.call('worker.new', { id: 'b', options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect((error as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'EINVAL', syscall: 'setsockopt', interface: dev.relayIn });
  });
});
