// A side-by-side look at what each engine costs the whole machine per forwarded packet on the chain
// (src ns -> relay ns -> sink ns, one rule, one output): the packet engine (one worker), the tc
// engine, and the tc engine with a test-only extra cost in its program, interleaved round by round.
// Not the bench (no committed figures, no targets): a quick check that the tc engine is the cheaper
// one and that its injected cost shows. Runs only with MCR_TC_COST=1; hold the traffic lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineBusySeconds, runSender, startReceiver } from '@mcr/netns-lab';

import type { TcCounters, WorkerCounters } from '../src/index.js';
import { ChainBed, IN_GROUP, IN_PORT, OUT_GROUP, OUT_PORT } from './helpers/chain-bed.js';
import { waitFor } from './helpers/lab.js';

const RATE = 20_000;
const SECONDS = 2;
const ROUNDS = 3;
const COUNT = RATE * SECONDS;

type Engine = 'packet' | 'tc' | 'tc+cost';

describe.skipIf(process.env.MCR_TC_COST !== '1')('whole-machine CPU per packet: packet engine vs tc engine', () => {
  const bed = new ChainBed();
  beforeAll(async () => {
    await bed.up();
  }, 60_000);
  afterAll(async () => {
    await bed.cleanup();
    await bed.down();
  });

  async function trial(engine: Engine): Promise<{ usPerPacket: number; delivered: number }> {
    const rules = [bed.rule('r1', [bed.output()])];
    const context = { ownMacs: [bed.mac.relayIn, bed.mac.relayOut] };
    const agent = bed.agent();
    if (engine === 'packet') {
      await agent.call('worker.new', { id: 'w', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex, fanout: { mode: 'hash' } } });
      await agent.call('worker.setRules', { id: 'w', rules, context });
      await agent.call('worker.start', { id: 'w' });
    } else {
      const injectedCostLoops = engine === 'tc+cost' ? 2000 : 0;
      await agent.call('tc.new', { id: 't', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex, injectedCostLoops } });
      await agent.call('tc.attach', { id: 't' });
      await agent.call('tc.setRules', { id: 't', rules, context });
    }
    const sink = await startReceiver({ netns: bed.ns.sink, interface: bed.dev.sink, streams: [{ group: OUT_GROUP, port: OUT_PORT }], expect: COUNT, idleMs: 1000, durationSec: 60 });
    const before = await machineBusySeconds();
    const sent = await runSender({ netns: bed.ns.src, interface: bed.dev.src, streams: [{ group: IN_GROUP, port: IN_PORT }], count: COUNT, size: 1000, ttl: 8, rate: RATE });
    const forwarded = async () =>
      engine === 'packet'
        ? (await agent.call<WorkerCounters>('worker.counters', { id: 'w' })).forwarded
        : (await agent.call<TcCounters>('tc.counters', { id: 't' })).forwarded;
    await waitFor(forwarded, (n) => n >= sent.sent * 0.99, 5000).catch(() => undefined);
    const busy = (await machineBusySeconds()) - before;
    const report = (await sink.result).streams[0]!;
    await bed.cleanup();
    return { usPerPacket: (busy / Math.max(1, report.unique)) * 1e6, delivered: report.unique };
  }

  it('the tc engine costs less per packet than the packet engine, and its injected cost shows', async () => {
    const results: Record<Engine, number[]> = { packet: [], tc: [], 'tc+cost': [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const engine of ['packet', 'tc', 'tc+cost'] as const) {
        const r = await trial(engine);
        expect(r.delivered).toBeGreaterThan(COUNT * 0.99);
        results[engine].push(r.usPerPacket);
      }
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    const line = (e: Engine) => `${e}: median ${median(results[e]).toFixed(2)} us/packet (${results[e].map((v) => v.toFixed(2)).join(', ')})`;
    console.log(`whole-machine CPU per delivered packet at ${RATE} pps, 1000 B, ${SECONDS} s x ${ROUNDS} rounds\n${line('packet')}\n${line('tc')}\n${line('tc+cost')}`);
    expect(median(results.tc)).toBeLessThan(median(results.packet));
    expect(median(results['tc+cost'])).toBeGreaterThan(median(results.tc));
  }, 300_000);
});
