import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relink, run, type Lab } from '@mcr/netns-lab';
import { MCR_BIN, pushTraffic, RelayProcess, ruleFor, streamPlan, waitFor, useChainLab } from './harness.js';
import { tempDir } from '../temp-dirs.js';

// Rules whose interface is not there yet: a saved rule (always) and a config rule (waitForInterfaces)
// wait as `pending` and start forwarding when the interface appears.

function mcr(relay: RelayProcess, args: string[]) {
  return spawnSync(process.execPath, [MCR_BIN, ...args, '--control', relay.control], { encoding: 'utf8' });
}

const ids = (rules: Array<{ id: string }>) => rules.map((r) => r.id);

describe('rules that wait for their interface', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  /** Deletes the relay's output interface (and the sink's end with it) and returns a function that brings both back. */
  async function removeOutput(): Promise<() => Promise<void>> {
    await run('ip', ['-n', lab.topo.relay.ns, 'link', 'del', 'out0']);
    let back = false;
    return async () => {
      if (back) return;
      back = true;
      await relink(lab.topo, 'rly-snk');
    };
  }

  it('a saved rule whose output is absent at start is pending, stays in the state file, and forwards within 2 s of the interface appearing', async () => {
    const [s1, s2] = streamPlan(2, 1);
    const state = join(tempDir('mcr-pending-'), 'state.json');
    const ns = lab.topo.relay.ns;
    const first = await RelayProcess.start(ns, { rules: [] }, ['--state', state]);
    try {
      await first.result('add', { rule: ruleFor(s1!, lab) });
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const restore = await removeOutput();
    let relay: RelayProcess | undefined;
    try {
      relay = await RelayProcess.start(ns, { rules: [] }, ['--state', state]);
      const reason = 'interface out0 is absent';
      const listed = await relay.result('list');
      expect(listed.rules).toEqual([]);
      expect(listed.pending).toEqual([{ id: s1!.id, reason, rule: expect.objectContaining({ id: s1!.id, input: expect.objectContaining({ group: s1!.group }) }) }]);
      expect(mcr(relay, ['list']).stdout).toContain(`${s1!.id}  in0:${s1!.group}:${s1!.port} -> out0:${s1!.outGroup}:${s1!.outPort}:8  pending: ${reason}`);
      const stats = await relay.result('stats');
      expect(stats.pending).toEqual([{ id: s1!.id, reason, rule: listed.pending[0].rule }]);
      expect(stats.rules).toEqual([]);
      // Its id is taken, and another save keeps it.
      expect((await relay.call('add', { rule: { ...ruleFor(s2!, lab), id: s1!.id, outputs: [{ interface: 'in0', group: s2!.outGroup, port: s2!.outPort }] } })).ok).toBe(false);
      await relay.result('add', { rule: { ...ruleFor(s2!, lab), outputs: [{ interface: 'in0', group: s2!.outGroup, port: s2!.outPort }] } });
      expect(ids(JSON.parse(readFileSync(state, 'utf8')).rules).sort()).toEqual([s1!.id, s2!.id]);

      // Timed from just before the interface is created (the first step of re-creating the link).
      const active = waitFor('the pending rule active', async () => ids((await relay!.result('list')).rules).includes(s1!.id), 5000);
      await restore();
      const activeMs = await active;
      console.info(`pending rule: active ${activeMs} ms after its interface began to be created`);
      expect(activeMs).toBeLessThan(2000);
      expect((await relay.result('list')).pending).toEqual([]);
      const { received } = await pushTraffic(lab, [s1!], { rate: 5000, count: 500 });
      expect(received.streams[0]!.unique).toBe(500);
      expect(ids(JSON.parse(readFileSync(state, 'utf8')).rules).sort()).toEqual([s1!.id, s2!.id]);
      expect(relay.stderr).toMatch(/rule s1 is pending: interface out0 is absent/);
    } finally {
      await restore();
      await relay?.stop();
    }
  });

  it('waitForInterfaces: a config rule on an absent interface is pending instead of an error, and forwards once it appears', async () => {
    const [s0, s1] = streamPlan(2);
    const ns = lab.topo.relay.ns;
    const restore = await removeOutput();
    let relay: RelayProcess | undefined;
    try {
      const config = { waitForInterfaces: true, rules: [ruleFor(s0!, lab)] };
      const file = join(tempDir('mcr-wait-'), 'relay.json');
      writeFileSync(file, JSON.stringify(config));
      const validated = spawnSync('ip', ['netns', 'exec', ns, process.execPath, MCR_BIN, 'validate', '--config', file], { encoding: 'utf8' });
      expect(validated.status).toBe(0);
      expect(validated.stderr).toContain('warning: rules[0].outputs[0].interface: interface "out0" is absent: the rule waits for it (waitForInterfaces)');

      relay = await RelayProcess.start(ns, config);
      expect((await relay.result('list')).pending).toEqual([{ id: s0!.id, reason: 'interface out0 is absent', rule: expect.objectContaining({ id: s0!.id }) }]);
      // A reload keeps it pending, and a runtime add on an absent interface is still refused.
      expect(await relay.result('reload')).toMatchObject({ pending: [s0!.id], removed: [], added: [] });
      const refused = await relay.call('add', { rule: ruleFor(s1!, lab) });
      expect(refused.ok ? null : refused.error.issues?.[0]).toEqual({ path: 'rule.outputs[0].interface', message: 'unknown interface "out0"' });

      await restore();
      await waitFor('the pending rule active', async () => ids((await relay!.result('list')).rules).includes(s0!.id), 2000);
      const { received } = await pushTraffic(lab, [s0!], { rate: 5000, count: 500 });
      expect(received.streams[0]!.unique).toBe(500);
    } finally {
      await restore();
      await relay?.stop();
    }
  });
});
