import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { igmpMemberships, relink, run, runSender, startReceiver, type Lab } from '@mcr/netns-lab';
import { MCR_BIN, pushTraffic, RelayProcess, ruleFor, sleep, streamPlan, waitFor, type Stream, useChainLab } from './harness.js';
import { tempDir } from '../temp-dirs.js';

describe('faults', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  const startRelay = (streams: Stream[], workers = 1) => RelayProcess.start(lab.topo.relay.ns, { workers, rules: streams.map((s) => ruleFor(s, lab)) });

  it('a worker killed with SIGKILL under traffic is restarted; no duplicate, loss bounded to the outage', async () => {
    const [s] = streamPlan(1);
    const relay = await startRelay([s!]);
    const sink = lab.topo.sinks[0]!;
    const rate = 5000;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: s!.outGroup, port: s!.outPort }], expect: 20_000 });
    try {
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s!.group, port: s!.port }], rate, count: 20_000, ttl: 8 });
      await sleep(1000);
      const victim = (await relay.result('stats')).workers[0].pid as number;
      process.kill(victim, 'SIGKILL');
      const outageMs = await waitFor('worker restarted', async () => {
        const w = (await relay.result('stats')).workers[0];
        return w.alive && w.pid !== victim;
      });
      await sending;
      await sleep(300);
      const got = await receiver.stop();
      const stats = await relay.result('stats');
      console.info(`worker SIGKILL: back after ${outageMs} ms; ${got.totals.missing} of 20000 lost at ${rate} pps`);
      expect(stats.workers[0].restarts).toBe(1);
      expect(outageMs).toBeLessThan(1000);
      expect(got.totals.duplicates).toBe(0);
      // Nothing is lost but what arrived while no worker was reading (plus one poll interval of slack).
      expect(got.totals.missing).toBeLessThanOrEqual(Math.ceil((rate * (outageMs + 100)) / 1000));
      expect(relay.stderr).toMatch(/worker in0#0 pid \d+ died \(SIGKILL\); restart #1/);
    } finally {
      await receiver.stop().catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });

  it('SIGTERM under load exits 0 within 2 s, having left every group', async () => {
    const streams = streamPlan(4);
    const relay = await startRelay(streams, 2);
    const sending = runSender({
      netns: lab.topo.source.ns,
      interface: lab.topo.source.ifname,
      streams: streams.map((s) => ({ group: s.group, port: s.port })),
      rate: 100_000,
      durationSec: 3,
      ttl: 8,
    });
    await sleep(1000);
    const t0 = Date.now();
    const code = await relay.stop();
    const stopMs = Date.now() - t0;
    await sending;
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(2000);
    expect((await igmpMemberships(lab.topo.relay.ns)).get('in0')).toEqual([]);
    expect(relay.stderr).toMatch(/mcr final: /);
  });

  it('an input interface that goes down, disappears and comes back is reported, and forwarding resumes without a restart', async () => {
    const streams = streamPlan(2);
    const relay = await startRelay(streams, 2);
    const rly = lab.topo.relay.ns;
    try {
      expect((await pushTraffic(lab, streams, { rate: 5000, count: 500 })).received.totals.unique).toBe(1000);

      await run('ip', ['-n', rly, 'link', 'set', 'in0', 'down']);
      await waitFor('down reported', async () => (await relay.result('stats')).interfaceEvents.down === 1);
      await run('ip', ['-n', rly, 'link', 'set', 'in0', 'up']);
      await waitFor('up reported', async () => (await relay.result('stats')).interfaceEvents.up === 1);
      expect((await pushTraffic(lab, streams, { rate: 5000, count: 500 })).received.totals.unique).toBe(1000);

      await run('ip', ['-n', rly, 'link', 'del', 'in0']); // takes the source's end with it
      await waitFor('gone reported', async () => (await relay.result('stats')).interfaceEvents.gone === 1);
      await relink(lab.topo, 'src-rly');
      await waitFor('back, rebound and re-joined', async () => {
        const s = await relay.result('stats');
        return s.interfaceEvents.back === 1 && s.totals.workersAlive === 2;
      });
      expect((await igmpMemberships(rly)).get('in0')!.sort()).toEqual(streams.map((s) => s.group).sort());
      const after = await pushTraffic(lab, streams, { rate: 5000, count: 500 });
      expect(after.received.totals).toMatchObject({ unique: 1000, duplicates: 0 });
      expect(relay.stderr).toMatch(/interface in0 disappeared/);
      expect(relay.stderr).toMatch(/interface in0 is back/);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('an output interface that disappears and comes back: forwarding resumes without a restart', async () => {
    const streams = streamPlan(2);
    const relay = await startRelay(streams);
    try {
      await run('ip', ['-n', lab.topo.relay.ns, 'link', 'del', 'out0']);
      await waitFor('gone reported', async () => (await relay.result('stats')).interfaceEvents.gone === 1);
      await relink(lab.topo, 'rly-snk');
      await waitFor('back reported', async () => (await relay.result('stats')).interfaceEvents.back === 1);
      await sleep(200);
      const after = await pushTraffic(lab, streams, { rate: 5000, count: 500 });
      expect(after.received.totals).toMatchObject({ unique: 1000, duplicates: 0 });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  // The kernel refuses the fork for real: the supervisor is moved into a pids cgroup whose limit is the
  // number of tasks it has, so its next fork fails with EAGAIN (spawn's 'error' event, no 'exit').
  const PIDS_CGROUP = '/sys/fs/cgroup/pids';
  it.skipIf(!existsSync(`${PIDS_CGROUP}/cgroup.procs`))('a worker that cannot be forked is logged and retried; the supervisor lives on and the worker comes back', async () => {
    const [s] = streamPlan(1);
    const relay = await startRelay([s!]);
    const cgroup = `${PIDS_CGROUP}/${lab.topo.prefix}-fork`;
    mkdirSync(cgroup);
    try {
      writeFileSync(`${cgroup}/cgroup.procs`, String(relay.child.pid));
      writeFileSync(`${cgroup}/pids.max`, readFileSync(`${cgroup}/pids.current`, 'utf8').trim());
      const victim = (await relay.result('stats')).workers[0].pid as number;
      process.kill(victim, 'SIGKILL');
      await waitFor('a failed fork logged', async () => /cannot fork a worker: .*EAGAIN/.test(relay.stderr));
      expect((await relay.result('ping')).pong).toBe(true);
      writeFileSync(`${cgroup}/pids.max`, 'max');
      await waitFor('worker back', async () => (await relay.result('stats')).workers[0].state === 'running');
      expect((await pushTraffic(lab, [s!], { rate: 2000, count: 300 })).received.totals).toMatchObject({ unique: 300, duplicates: 0 });
    } finally {
      writeFileSync(`${cgroup}/pids.max`, 'max');
      expect(await relay.stop()).toBe(0);
      rmdirSync(cgroup);
    }
  });

  it('a missing interface at start is a clear error, and nothing is started', () => {
    const dir = tempDir('mcr-missing-');
    const control = join(dir, 'control.sock');
    const [s] = streamPlan(1);
    const rule = ruleFor(s!, lab);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ control: { socket: control }, rules: [{ ...rule, outputs: [{ ...rule.outputs[0], interface: 'gone0' }] }] }));
    const r = spawnSync('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, MCR_BIN, 'run', '--config', join(dir, 'c.json')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rules[0].outputs[0].interface: unknown interface "gone0"');
    expect(existsSync(control)).toBe(false);
  });
});
