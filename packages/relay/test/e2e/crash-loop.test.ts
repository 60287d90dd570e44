import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converge, runSender, startReceiver, uniquePrefix, up, type Lab } from '@mcr/netns-lab';
import { CRASH_LOOP } from '../../src/workers/worker-pool.js';
import { RelayProcess, sleep, streamPlan, waitFor } from './harness.js';

describe('crash loops are bounded', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await up(converge({ prefix: uniquePrefix(), sources: 2 }));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('a worker killed 5 times within 60 s is "failing", retried only every 30 s, and the other interface keeps forwarding', async () => {
    const [s0, s1] = streamPlan(2);
    const out = lab.topo.relay.outputs[0]!.ifname;
    const rules = [s0!, s1!].map((s, i) => ({
      id: s.id,
      input: { interface: lab.topo.relay.inputs[i]!.ifname, group: s.group, port: s.port },
      outputs: [{ interface: out, group: s.outGroup, port: s.outPort, ttl: 8 }],
    }));
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules });
    const in0 = async () => (await relay.result('stats')).workers.find((w: { interface: string }) => w.interface === 'in0');
    try {
      let victim = 0;
      for (let death = 1; death <= CRASH_LOOP.deaths; death++) {
        await waitFor(`in0#0 back before death ${death}`, async () => {
          const w = await in0();
          return w.state === 'running' && w.pid !== victim;
        }, 15_000);
        victim = (await in0()).pid;
        process.kill(victim, 'SIGKILL');
      }
      await waitFor('in0#0 failing', async () => (await in0()).state === 'failing');
      const failing = await in0();
      expect(failing).toMatchObject({ restarts: CRASH_LOOP.deaths, alive: false, pid: null });
      expect(failing.lastError).toMatch(/died \(SIGKILL\)/);
      expect(relay.stderr).toMatch(/mcr error: worker in0#0 pid \d+ died \(SIGKILL\): 5 deaths within 60 s, failing; next attempt in 30 s/);

      // The ceiling holds (no restart in the next seconds) while in1 forwards every packet.
      const sink = lab.topo.sinks[0]!;
      const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: s1!.outGroup, port: s1!.outPort }], expect: 2000 });
      const src1 = lab.topo.sources[1]!;
      await runSender({ netns: src1.ns, interface: src1.ifname, streams: [{ group: s1!.group, port: s1!.port }], rate: 1000, count: 2000, ttl: 8 });
      await sleep(300);
      expect((await receiver.stop()).totals).toMatchObject({ unique: 2000, duplicates: 0 });
      const later = await relay.result('stats');
      expect(later.workers.find((w: { interface: string }) => w.interface === 'in0')).toMatchObject({ state: 'failing', restarts: CRASH_LOOP.deaths });
      expect(later.workers.find((w: { interface: string }) => w.interface === 'in1')).toMatchObject({ state: 'running', restarts: 0, lastError: null });
      expect(later.totals.workersFailing).toBe(1);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
