import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run, type Lab } from '@mcr/netns-lab';
import { BULK_RULE_ADDS } from './documented-bounds.js';
import { pushTraffic, RelayProcess, ruleFor, sleep, streamPlan, waitFor, useChainLab } from './harness.js';

// A rule change costs what it touches: interface facts are cached, only the affected input
// interface's table is rebuilt, and an output interface that is gone holds nothing up.

/** CPU seconds (user + system) the process has used so far; Linux reports them in clock ticks of 10 ms. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('rule changes', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it(`${BULK_RULE_ADDS.rules} rules added one by one: ${BULK_RULE_ADDS.quantile * 100} % of the adds cost the supervisor at most ${BULK_RULE_ADDS.maxCpuMs} ms of CPU, none ${BULK_RULE_ADDS.maxCpuMsAny} ms, and all of them forward`, async () => {
    const [s0] = streamPlan(1);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] });
    try {
      const pid = relay.child.pid!;
      const cpu: number[] = [];
      const wall: number[] = [];
      for (let n = 0; n < BULK_RULE_ADDS.rules; n++) {
        const rule = { id: `bulk${n}`, input: { interface: 'in0', group: '239.2.0.1', port: 10_000 + n }, outputs: [{ interface: 'out0', group: '239.9.200.1', port: 10_000 + n, ttl: 8 }] };
        const c0 = cpuSeconds(pid);
        const t0 = performance.now();
        await relay.result('add', { rule });
        wall.push(performance.now() - t0);
        cpu.push(cpuSeconds(pid) - c0);
      }
      const sorted = [...wall].sort((a, b) => a - b);
      console.info(`${BULK_RULE_ADDS.rules} adds: wall p50 ${sorted[BULK_RULE_ADDS.rules / 2]!.toFixed(1)} ms, max ${sorted[BULK_RULE_ADDS.rules - 1]!.toFixed(1)} ms; supervisor CPU max ${Math.round(Math.max(...cpu) * 1000)} ms, total ${cpu.reduce((a, b) => a + b, 0).toFixed(2)} s`);
      // CPU time comes in 10 ms ticks. A regression to per-add lookups over the whole table makes the
      // later adds cost tens of ms each, which the 99th percentile shows; a lone garbage collection or
      // a descheduled moment on a shared machine only moves the maximum, so that bound is loose.
      const cpuSorted = [...cpu].sort((a, b) => a - b);
      expect(cpuSorted[Math.round(BULK_RULE_ADDS.rules * BULK_RULE_ADDS.quantile) - 1]!).toBeLessThanOrEqual(BULK_RULE_ADDS.maxCpuMs / 1000);
      expect(cpuSorted[BULK_RULE_ADDS.rules - 1]!).toBeLessThanOrEqual(BULK_RULE_ADDS.maxCpuMsAny / 1000);
      expect((await relay.result('list')).rules).toHaveLength(BULK_RULE_ADDS.rules + 1);
      const lastPort = 10_000 + BULK_RULE_ADDS.rules - 1;
      const last = { id: `bulk${BULK_RULE_ADDS.rules - 1}`, group: '239.2.0.1', port: lastPort, outGroup: '239.9.200.1', outPort: lastPort };
      expect((await pushTraffic(lab, [s0!, last], { rate: 2000, count: 300 })).received.totals).toMatchObject({ unique: 600, duplicates: 0 });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('with an output interface gone, rules on other interfaces are added and removed, and forward', async () => {
    const rly = lab.topo.relay.ns;
    await run('ip', ['-n', rly, 'link', 'add', 'xo0', 'type', 'veth', 'peer', 'name', 'xo0p']);
    await run('ip', ['-n', rly, 'addr', 'add', '10.99.0.1/24', 'dev', 'xo0']);
    await run('ip', ['-n', rly, 'link', 'set', 'xo0', 'up']);
    await run('ip', ['-n', rly, 'link', 'set', 'xo0p', 'up']);
    const [s0, s1, s2] = streamPlan(3);
    const toGone = { id: s2!.id, input: { interface: 'in0', group: s2!.group, port: s2!.port }, outputs: [{ interface: 'xo0', group: s2!.outGroup, port: s2!.outPort, ttl: 8 }] };
    const relay = await RelayProcess.start(rly, { rules: [ruleFor(s0!, lab), toGone] });
    try {
      await run('ip', ['-n', rly, 'link', 'del', 'xo0']);
      await waitFor('gone reported', async () => (await relay.result('stats')).interfaceEvents.gone === 1);
      await relay.result('add', { rule: ruleFor(s1!, lab) });
      expect((await pushTraffic(lab, [s0!, s1!], { rate: 2000, count: 300 })).received.totals).toMatchObject({ unique: 600, duplicates: 0 });
      await relay.result('remove', { id: s1!.id });
      await relay.result('remove', { id: s2!.id });
      expect((await relay.result('list')).rules.map((r: { id: string }) => r.id)).toEqual([s0!.id]);
      const stats = await relay.result('stats');
      expect(stats.workers.map((w: { state: string; restarts: number }) => [w.state, w.restarts])).toEqual([['running', 0]]);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('an output without IPv4 is accepted, counted as absent, and sends once the interface has an address', async () => {
    const rly = lab.topo.relay.ns;
    await run('ip', ['-n', rly, 'link', 'add', 'xo1', 'type', 'veth', 'peer', 'name', 'xo1p']);
    await run('ip', ['-n', rly, 'link', 'set', 'xo1', 'up']);
    await run('ip', ['-n', rly, 'link', 'set', 'xo1p', 'up']);
    const [s0, s1] = streamPlan(2);
    const relay = await RelayProcess.start(rly, { rules: [ruleFor(s0!, lab)] });
    const toXo1 = async () => (await relay.result('stats')).rules.find((r: { id: string }) => r.id === s1!.id);
    try {
      await relay.result('add', { rule: { id: s1!.id, input: { interface: 'in0', group: s1!.group, port: s1!.port }, outputs: [{ interface: 'xo1', group: s1!.outGroup, port: s1!.outPort }] } });
      await pushTraffic(lab, [s1!], { rate: 2000, count: 200 });
      expect((await toXo1()).outputs[0].packets).toBe(0);
      expect((await relay.result('stats')).totals.outputAbsent).toBe(200);

      await run('ip', ['-n', rly, 'addr', 'add', '10.98.0.1/24', 'dev', 'xo1']);
      await waitFor('the address seen', async () => (await relay.result('stats')).interfaces.some((i: { name: string; ipv4: string | null }) => i.name === 'xo1' && i.ipv4 === '10.98.0.1'));
      await sleep(200); // the rebind follows the watcher's report
      await pushTraffic(lab, [s1!], { rate: 2000, count: 200 });
      expect((await toXo1()).outputs[0].packets).toBe(200);
      expect(relay.stderr).toMatch(/interface xo1 has IPv4 10\.98\.0\.1: sending on it/);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
