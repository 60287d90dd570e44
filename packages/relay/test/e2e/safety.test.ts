import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { igmpMemberships, run, runSender, startReceiver, type Lab } from '@mcr/netns-lab';
import { NATIVE_LIMITS } from '../../src/config/limits.js';
import { chainLab, MCR_BIN, pushTraffic, RelayProcess, ruleFor, sleep, streamPlan, type Stream, workerProcesses } from './harness.js';
import { tempDir } from '../temp-dirs.js';

// A request the relay accepts must never break forwarding: what the data plane cannot do is refused
// by the schema first; what a worker still refuses (or does not answer) is rolled back everywhere.

/** `mcr <args>` as a user runs it against the relay's control socket. */
function mcr(relay: RelayProcess, args: string[]) {
  return spawnSync(process.execPath, [MCR_BIN, ...args, '--control', relay.control], { encoding: 'utf8' });
}

describe('safety: refused changes leave the relay as it was', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await chainLab();
    await run('ip', ['-n', lab.topo.relay.ns, 'tuntap', 'add', 'dev', 'tun0', 'mode', 'tun']);
    await run('ip', ['-n', lab.topo.relay.ns, 'link', 'set', 'tun0', 'up']);
  });
  afterAll(async () => {
    await lab?.down();
  });

  /** Streams `s` through the relay while `during` runs; every packet must arrive, once. */
  async function forwardingContinues(s: Stream, during: () => Promise<void>): Promise<void> {
    const sink = lab.topo.sinks[0]!;
    const count = 3000;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: s.outGroup, port: s.outPort }], expect: count });
    try {
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s.group, port: s.port }], rate: 1000, count, ttl: 8 });
      await sleep(300);
      await during();
      await sending;
      await sleep(300);
      expect((await receiver.stop()).totals).toMatchObject({ unique: count, duplicates: 0 });
    } finally {
      await receiver.stop().catch(() => undefined);
    }
  }

  it('a rule with 65 outputs, or an output on a tun interface, is refused with exit 1: rules, workers and forwarding unchanged', async () => {
    const [s0, s1] = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, rules: [ruleFor(s0!, lab)] });
    try {
      const before = await relay.result('stats');
      const pids = workerProcesses(before).map((w: { pid: number }) => w.pid);
      await forwardingContinues(s0!, async () => {
        const outputs = Array.from({ length: NATIVE_LIMITS.maxOutputsPerRule + 1 }, (_, i) => ['--output', `out0:${s1!.outGroup}:${7000 + i}`]).flat();
        const tooMany = mcr(relay, ['add', '--input', `in0:${s1!.group}:${s1!.port}`, ...outputs]);
        expect(tooMany.status).toBe(1);
        expect(tooMany.stderr).toContain('rule.outputs: must hold at most 64 outputs (NATIVE_LIMITS.maxOutputsPerRule), got 65');

        const tun = mcr(relay, ['add', '--input', `in0:${s1!.group}:${s1!.port}`, '--output', `tun0:${s1!.outGroup}:${s1!.outPort}`]);
        expect(tun.status).toBe(1);
        expect(tun.stderr).toContain('rule.outputs[0].interface: tun0 has no Ethernet MAC address');
      });
      const after = await relay.result('stats');
      expect(after.rules.map((r: { id: string }) => r.id)).toEqual([s0!.id]);
      expect(workerProcesses(after).map((w: { pid: number }) => w.pid)).toEqual(pids);
      expect(workerProcesses(after).map((w: { restarts: number; state: string }) => [w.restarts, w.state])).toEqual([
        [0, 'running'],
        [0, 'running'],
      ]);
      expect((await igmpMemberships(lab.topo.relay.ns)).get('in0')).toEqual([s0!.group]);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('mcr add takes --vlan, --max-pps, --link-local and --ttl-mode; the relay checks their ranges', async () => {
    const [s0] = streamPlan(1);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] });
    try {
      const added = mcr(relay, ['add', '--id', 'flags', '--input', 'in0:239.1.77.1:5353', '--vlan', '10', '--max-pps', '1000', '--link-local', '--ttl-mode', 'set', '--output', 'out0:224.0.0.251:5353:1', '--json']);
      expect(added.status).toBe(0);
      expect(JSON.parse(added.stdout).rule).toEqual({
        id: 'flags',
        input: { interface: 'in0', group: '239.1.77.1', port: 5353, vlan: 10, family: 'ipv4' },
        maxPps: 1000,
        linkLocal: true,
        outputs: [{ interface: 'out0', group: '224.0.0.251', port: 5353, ttl: 1, ttlMode: 'set' }],
      });
      const noLinkLocal = mcr(relay, ['add', '--input', 'in0:239.1.77.2:5353', '--output', 'out0:224.0.0.251:5353']);
      expect(noLinkLocal.status).toBe(1);
      expect(noLinkLocal.stderr).toContain('rule.outputs[0].group: 224.0.0.0/24 is link-local control traffic; the rule must say linkLocal: true');
      const badVlan = mcr(relay, ['add', '--input', 'in0:239.1.77.2:5353', '--vlan', '4096', '--output', 'out0:239.9.77.2:5353']);
      expect(badVlan.status).toBe(1);
      expect(badVlan.stderr).toContain('rule.input.vlan: must be 1..4095, got 4096');
      // VLAN 0 is a priority tag, which matches as untagged: no rule can name it.
      const priorityTag = mcr(relay, ['add', '--input', 'in0:239.1.77.2:5353', '--vlan', '0', '--output', 'out0:239.9.77.2:5353']);
      expect(priorityTag.status).toBe(1);
      expect(priorityTag.stderr).toContain('rule.input.vlan: must be 1..4095, got 0');
      expect((await relay.result('list')).rules.map((r: { id: string }) => r.id)).toEqual([s0!.id, 'flags']);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('a config file with an output on a tun interface exits 2 naming the field, and starts nothing', () => {
    const dir = tempDir('mcr-tun-');
    const control = join(dir, 'control.sock');
    const [s] = streamPlan(1);
    const rule = ruleFor(s!, lab);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ control: { socket: control }, rules: [{ ...rule, outputs: [{ ...rule.outputs[0], interface: 'tun0' }] }] }));
    const r = spawnSync('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, MCR_BIN, 'run', '--config', join(dir, 'c.json')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rules[0].outputs[0].interface: tun0 has no Ethernet MAC address');
    expect(existsSync(control)).toBe(false);
  });

  // No real table that passed the schema is refused by the data plane any more (that is the point of
  // the schema), so the transaction is proven with the other way a worker fails to take a table: it
  // does not answer. A stopped process (SIGSTOP) is a worker hung or starved, as a real one can be.
  it('a worker that does not take a new table: EAPPLY naming it, rolled back everywhere, memberships included', async () => {
    const [s0, s1] = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, rules: [ruleFor(s0!, lab)] });
    try {
      const before = await relay.result('stats');
      const stuck = workerProcesses(before)[1]!.pid as number;
      process.kill(stuck, 'SIGSTOP');
      let refused: ReturnType<typeof mcr>;
      try {
        refused = mcr(relay, ['add', '--id', s1!.id, '--input', `in0:${s1!.group}:${s1!.port}`, '--output', `out0:${s1!.outGroup}:${s1!.outPort}`]);
      } finally {
        process.kill(stuck, 'SIGCONT');
      }
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/EAPPLY: worker in0#1: no answer within \d+ ms/);
      expect((await relay.result('list')).rules.map((r: { id: string }) => r.id)).toEqual([s0!.id]);
      expect((await igmpMemberships(lab.topo.relay.ns)).get('in0')).toEqual([s0!.group]);
      expect(relay.stderr).toMatch(/rule change refused by worker in0#1 and rolled back/);

      // The rolled-back table is the one in force: s0 forwards, s1 (never committed) does not.
      const both = await pushTraffic(lab, [s0!, s1!], { rate: 2000, count: 500 });
      expect(both.received.streams.map((st) => st.unique)).toEqual([500, 0]);
      const after = await relay.result('stats');
      expect(workerProcesses(after).map((w: { pid: number; restarts: number }) => [w.pid, w.restarts])).toEqual(workerProcesses(before).map((w: { pid: number }) => [w.pid, 0]));

      // Nothing is left half-done: the same change goes through once the worker answers.
      expect(mcr(relay, ['add', '--id', s1!.id, '--input', `in0:${s1!.group}:${s1!.port}`, '--output', `out0:${s1!.outGroup}:${s1!.outPort}`]).status).toBe(0);
      expect((await pushTraffic(lab, [s0!, s1!], { rate: 2000, count: 500 })).received.totals).toMatchObject({ unique: 1000, duplicates: 0 });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
