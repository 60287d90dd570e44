// src ns -> relay ns (DataPlaneWorker) -> sink ns over two veth pairs, real kernel throughout.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RuleSpec, WorkerCounters, WorkerOptions } from '../src/index.js';
import { AgentCallError, NamespaceAgent } from './helpers/agent.js';
import { udpFrame } from '@mcr/netns-lab';
import { linkInfo, NamespaceSet, nsRun, run, uniquePrefix, waitFor } from './helpers/netns.js';
import { send, sendRawFrame, Sink } from './helpers/traffic.js';

const N = 1000;
const IN_GROUP = '239.1.1.1';
const IN_PORT = 5001;
const OUT_GROUP = '239.9.9.1';
const OUT_PORT = 6001;

describe('DataPlaneWorker (src -> relay -> sink namespaces)', () => {
  const namespaces = new NamespaceSet();
  const p = uniquePrefix();
  const ns = { src: `${p}-src`, relay: `${p}-rly`, sink: `${p}-snk` };
  const dev = { src: `${p}-s0`, relayIn: `${p}-r0`, relayOut: `${p}-r1`, sink: `${p}-k0` };
  const addr = { src: '10.61.1.1', relayIn: '10.61.1.2', relayOut: '10.61.2.1', sink: '10.61.2.2' };
  let inIfindex = 0;
  let rule: RuleSpec;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    for (const name of Object.values(ns)) await namespaces.add(name);
    // veth ends created directly in their namespaces.
    await run('ip', ['link', 'add', dev.src, 'netns', ns.src, 'type', 'veth', 'peer', 'name', dev.relayIn, 'netns', ns.relay]);
    await run('ip', ['link', 'add', dev.relayOut, 'netns', ns.relay, 'type', 'veth', 'peer', 'name', dev.sink, 'netns', ns.sink]);
    const plan: Array<[string, string, string]> = [
      [ns.src, dev.src, addr.src],
      [ns.relay, dev.relayIn, addr.relayIn],
      [ns.relay, dev.relayOut, addr.relayOut],
      [ns.sink, dev.sink, addr.sink],
    ];
    for (const [n, d, a] of plan) {
      await nsRun(n, 'ip', ['addr', 'add', `${a}/24`, 'dev', d]);
      await nsRun(n, 'ip', ['link', 'set', d, 'up']);
      await nsRun(n, 'sysctl', ['-q', '-w', `net.ipv4.conf.${d}.rp_filter=0`]);
    }
    await nsRun(ns.src, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', dev.src]);
    await nsRun(ns.relay, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', dev.relayOut]);
    await nsRun(ns.sink, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', dev.sink]);
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
    await namespaces.cleanup();
  });

  async function startSink(group = OUT_GROUP, port = OUT_PORT): Promise<Sink> {
    const sink = new Sink(ns.sink, addr.sink, group, port);
    cleanups.push(() => sink.close());
    await sink.ready;
    return sink;
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

  /** Waits until the sink has `expected` packets (or stops changing), then reports. */
  async function settle(sink: Sink, expected: number) {
    let last = -1;
    let stable = 0;
    return waitFor(
      () => sink.report(),
      (r) => {
        stable = r.received === last ? stable + 1 : 0;
        last = r.received;
        return r.received >= expected || stable >= 40;
      },
      20_000,
    );
  }

  it('forwards every packet exactly once and counts it', async () => {
    const sink = await startSink();
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'hash' });
    await send(ns.src, addr.src, IN_GROUP, IN_PORT, N);
    const report = await settle(sink, N);
    expect(report).toMatchObject({ received: N, unique: N, duplicates: 0, foreign: 0 });
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.matched >= N);
    expect(c.matched).toBe(N);
    expect(c.forwarded).toBe(N);
    expect(c.txErrors).toBe(0);
    expect(c.malformed).toBe(0);
    expect(c.framesSeen).toBe(c.matched + c.noMatch + c.malformed + c.fragments);
    expect(c.kernelPackets).toBeGreaterThanOrEqual(N);
    expect(c.kernelDrops).toBe(0);
    expect(c.rules).toEqual([{ id: 'r1', matched: N, bytes: N * 64, outputs: [{ packets: N, bytes: N * (42 + 64), txErrors: 0 }] }]);
    await agent.call('worker.stop', { id: 'w' }); // settles, twice
  });

  it('splits one interface between two workers in a hash fanout group: no duplicates', async () => {
    const sink = await startSink();
    const agent = startAgent();
    const first = await startWorker(agent, 'a', { mode: 'hash' });
    expect(first).toEqual(expect.any(Number));
    const second = await startWorker(agent, 'b', { mode: 'hash', id: first! });
    expect(second).toBe(first);
    await send(ns.src, addr.src, IN_GROUP, IN_PORT, N);
    const report = await settle(sink, N);
    expect(report).toMatchObject({ received: N, unique: N, duplicates: 0 });
    const [a, b] = [await counters(agent, 'a'), await counters(agent, 'b')];
    expect(a.matched + b.matched).toBe(N);
    expect(a.forwarded + b.forwarded).toBe(N);
  });

  it('duplicates every packet with two workers and no fanout group (negative control)', async () => {
    const sink = await startSink();
    const agent = startAgent();
    expect(await startWorker(agent, 'a', null)).toBeNull();
    expect(await startWorker(agent, 'b', null)).toBeNull();
    await send(ns.src, addr.src, IN_GROUP, IN_PORT, N);
    const report = await settle(sink, 2 * N);
    expect(report).toMatchObject({ received: 2 * N, unique: N, duplicates: N });
    const [a, b] = [await counters(agent, 'a'), await counters(agent, 'b')];
    expect(a.matched + b.matched).toBe(2 * N);
  });

  it('counts a malformed frame and a fragment without forwarding them', async () => {
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'lb' });
    const bad = udpFrame({ group: IN_GROUP, port: IN_PORT });
    bad[14] = 0x43; // IHL 3
    await sendRawFrame(ns.src, dev.src, bad);
    await sendRawFrame(ns.src, dev.src, udpFrame({ group: IN_GROUP, port: IN_PORT, fragment: { moreFragments: true, offset: 0 } }));
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.malformed >= 1 && v.fragments >= 1);
    expect(c.malformed).toBe(1);
    expect(c.fragments).toBe(1);
    expect(c.matched).toBe(0);
    expect(c.forwarded).toBe(0);
  });

  it('swaps rules while running: counters persist per id, a new output gets its own socket', async () => {
    const sink = await startSink();
    const unicastSink = await startSink(addr.sink, OUT_PORT + 1);
    const agent = startAgent();
    await startWorker(agent, 'w', { mode: 'hash' });
    await send(ns.src, addr.src, IN_GROUP, IN_PORT, N);
    await settle(sink, N);
    // Same rule id, plus a unicast output (UDP socket path); plus a rule that matches nothing.
    const unicastOutput = { ...rule.outputs[0]!, group: addr.sink, port: OUT_PORT + 1 };
    const swapped: RuleSpec[] = [
      { ...rule, outputs: [rule.outputs[0]!, unicastOutput] },
      { ...rule, id: 'r2', group: '239.1.1.2' },
    ];
    await agent.call('worker.setRules', { id: 'w', rules: swapped });
    await send(ns.src, addr.src, IN_GROUP, IN_PORT, N);
    expect(await settle(sink, 2 * N)).toMatchObject({ received: 2 * N, unique: N, duplicates: N });
    expect(await settle(unicastSink, N)).toMatchObject({ received: N, unique: N, duplicates: 0 });
    const c = await waitFor(() => counters(agent, 'w'), (v) => v.forwarded >= 3 * N);
    expect(c.matched).toBe(2 * N);
    expect(c.forwarded).toBe(3 * N);
    expect(c.rules.map((r) => [r.id, r.matched, r.outputs.map((o) => o.packets)])).toEqual([
      ['r1', 2 * N, [2 * N, N]],
      ['r2', 0, [0]],
    ]);
  });

  it('reports a missing interface as NativeError ENODEV from bind', async () => {
    const agent = startAgent();
    const options: WorkerOptions = { interface: 'nosuchdev', ifindex: 99999, fanout: { mode: 'hash' } };
    const error = await agent.call('worker.new', { id: 'x', options }).catch((e: unknown) => e);
    expect((error as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'ENODEV', syscall: 'bind', interface: 'nosuchdev' });
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
