import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { pushTraffic, RelayProcess, ruleFor, sleep, streamPlan, waitFor, useChainLab, workerProcesses } from './harness.js';

const run = promisify(execFile);

/** The groups the kernel holds on `ifname` in namespace `ns`, from /proc/net/igmp (hex, host order). */
async function kernelGroups(ns: string, ifname: string): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/igmp']);
  const groups: string[] = [];
  let current = '';
  for (const line of stdout.split('\n')) {
    const dev = /^\d+\s+(\S+)\s*:/.exec(line);
    if (dev) current = dev[1]!;
    const grp = /^\s+([0-9A-F]{8})\s/.exec(line);
    if (grp && current === ifname) {
      const n = parseInt(grp[1]!, 16);
      groups.push([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.'));
    }
  }
  return groups;
}

describe('hitless reload', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('SIGHUP adding one rule and removing another loses no packet of a third at 20 kpps; the added forwards; the removed group is left', async () => {
    const [steady, removed, added] = streamPlan(3);
    const rule = (s: typeof steady) => ruleFor(s!, lab);
    const ns = lab.topo.relay.ns;
    const inIf = lab.topo.relay.inputs[0]!.ifname;
    const relay = await RelayProcess.start(ns, { rules: [rule(steady), rule(removed)] });
    try {
      expect(await kernelGroups(ns, inIf)).toEqual(expect.arrayContaining([steady!.group, removed!.group]));
      const pidsBefore = (await relay.result('stats')).workers.map((w: { pid: number }) => w.pid);
      const traffic = pushTraffic(lab, [steady!], { rate: 20_000, count: 60_000 });
      await sleep(1000);
      relay.writeConfig({ rules: [rule(steady), rule(added)] });
      relay.child.kill('SIGHUP');
      await waitFor('reload applied', async () => (await relay.result('list')).rules.some((r: { id: string }) => r.id === added!.id), 5000);
      const { sent, received } = await traffic;
      expect(sent.sent).toBe(60_000);
      const got = received.streams[0]!;
      expect({ unique: got.unique, missing: got.missing, duplicates: got.duplicates }).toEqual({ unique: 60_000, missing: 0, duplicates: 0 });

      const ids = (await relay.result('list')).rules.map((r: { id: string }) => r.id);
      expect(ids.sort()).toEqual([steady!.id, added!.id].sort());
      const stats = await relay.result('stats');
      expect(stats.rules.find((r: { id: string }) => r.id === steady!.id).matched).toBe(60_000); // counters went on
      expect(stats.workers.map((w: { pid: number }) => w.pid)).toEqual(pidsBefore); // no worker restarted
      const groups = await kernelGroups(ns, inIf);
      expect(groups).not.toContain(removed!.group);
      expect(groups).toEqual(expect.arrayContaining([steady!.group, added!.group]));
      expect(relay.stderr).toMatch(/reload: added s2 removed s1 changed - unchanged 1/);

      const after = await pushTraffic(lab, [added!], { rate: 5000, count: 1000 });
      expect(after.received.streams[0]!.unique).toBe(1000);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('mcr reload: an invalid file changes nothing and names every problem; runtime rules are kept; restart-only settings are reported', async () => {
    const [a, b, c] = streamPlan(3);
    const ns = lab.topo.relay.ns;
    const relay = await RelayProcess.start(ns, { rules: [ruleFor(a!, lab)] });
    try {
      await relay.result('add', { rule: ruleFor(b!, lab) });
      const before = await relay.result('list');

      const bad = ruleFor(c!, lab);
      relay.writeConfig({ rules: [ruleFor(a!, lab), { ...bad, input: { ...bad.input, port: 70000 }, outputs: [{ ...bad.outputs[0], interface: 'nosuch0' }] }], workers: 0 });
      const refused = await relay.call('reload');
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.error.code).toBe('EINVALIDCONFIG');
      expect(refused.error.issues!.map((i) => i.path).sort()).toEqual(['rules[1].input.port', 'rules[1].outputs[0].interface', 'workers']);
      expect(await relay.result('list')).toEqual(before);

      // A changed rule (new output port) is replaced; the runtime rule b is kept; workers is restart-only.
      const changed = { ...ruleFor(a!, lab), outputs: [{ ...ruleFor(a!, lab).outputs[0]!, port: 7001 }] };
      relay.writeConfig({ rules: [changed, ruleFor(c!, lab)], workers: 2, logLevel: 'debug' });
      const summary = await relay.result('reload');
      expect(summary).toMatchObject({ added: [c!.id], removed: [], changed: [a!.id], kept: [b!.id] });
      expect(summary.ignoredUntilRestart.map((i: { setting: string }) => i.setting)).toEqual(['workers']);
      expect(summary.applied).toEqual(['logLevel info -> debug']);
      const rules = (await relay.result('list')).rules;
      expect(rules.find((r: { id: string }) => r.id === a!.id).outputs[0].port).toBe(7001);
      expect(workerProcesses(await relay.result('stats'))).toHaveLength(1);
      expect((await relay.result('stats')).igmp.memberships.map((m: { group: string }) => m.group).sort()).toEqual([a!.group, b!.group, c!.group].sort());

      // The file names b now: it takes over b's id (here with b's own input: unchanged).
      relay.writeConfig({ rules: [changed, ruleFor(c!, lab), ruleFor(b!, lab)], workers: 2 });
      expect(await relay.result('reload')).toMatchObject({ added: [], removed: [], changed: [], kept: [] });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('runtime rules never lose their id to the rules the file generates ids for; a reload replaces one only when the file names its id', async () => {
    const streams = streamPlan(6);
    const anonymous = (n: number) => {
      const { id: _id, ...rule } = ruleFor(streams[n]!, lab);
      return rule;
    };
    const ns = lab.topo.relay.ns;
    const relay = await RelayProcess.start(ns, { rules: [anonymous(0), anonymous(1)] });
    const inputs = async () => new Map<string, string>((await relay.result('list')).rules.map((r: { id: string; input: { group: string } }) => [r.id, r.input.group]));
    try {
      const generated = (await relay.result('add', { rule: anonymous(2) })).rule.id as string;
      const explicit = (await relay.result('add', { rule: { ...anonymous(3), id: 'rule-5' } })).rule.id as string;
      expect(explicit).toBe('rule-5');
      // The file gains id-less rules at positions 3, 4 and 5: none of them takes a runtime rule's id.
      relay.writeConfig({ rules: [anonymous(0), anonymous(1), anonymous(4), anonymous(5), { ...anonymous(4), input: { ...anonymous(4).input, port: 5999 } }] });
      const summary = await relay.result('reload');
      expect(summary).toMatchObject({ removed: [], changed: [], kept: [generated, explicit] });
      const after = await inputs();
      expect(after.size).toBe(7);
      expect(after.get(generated)).toBe(streams[2]!.group);
      expect(after.get(explicit)).toBe(streams[3]!.group);
      // Named explicitly, the runtime rule becomes the file's.
      relay.writeConfig({ rules: [anonymous(0), anonymous(1), { ...anonymous(3), id: 'rule-5' }] });
      expect(await relay.result('reload')).toMatchObject({ kept: [generated], changed: [] });
      expect((await inputs()).get('rule-5')).toBe(streams[3]!.group);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('--state keeps the runtime rules across a restart, written atomically', async () => {
    const [a, b] = streamPlan(2);
    const ns = lab.topo.relay.ns;
    const state = `/tmp/mcr-state-${process.pid}.json`;
    const first = await RelayProcess.start(ns, { rules: [ruleFor(a!, lab)] }, ['--state', state]);
    try {
      await first.result('add', { rule: ruleFor(b!, lab) });
      const saved = JSON.parse(readFileSync(state, 'utf8'));
      expect(saved.v).toBe(1);
      expect(saved.rules.map((r: { id: string }) => r.id)).toEqual([b!.id]);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await RelayProcess.start(ns, { rules: [ruleFor(a!, lab)] }, ['--state', state]);
    try {
      expect((await second.result('list')).rules.map((r: { id: string }) => r.id).sort()).toEqual([a!.id, b!.id]);
      await second.result('remove', { id: b!.id });
      expect(JSON.parse(readFileSync(state, 'utf8')).rules).toEqual([]);
      const { received } = await pushTraffic(lab, [a!], { rate: 5000, count: 500 });
      expect(received.streams[0]!.unique).toBe(500);
    } finally {
      expect(await second.stop()).toBe(0);
      await run('rm', ['-f', state]);
    }
  });
});
