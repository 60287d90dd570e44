import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { igmpMemberships, runSender, startReceiver, type Lab } from '@mcr/netns-lab';
import { MCR_BIN, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';
import { tempDir } from '../temp-dirs.js';

/** Sends raw bytes on a fresh connection and returns every line the relay answers before closing. */
function rawExchange(path: string, bytes: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text.split('\n').filter(Boolean)));
    socket.on('error', reject);
  });
}

describe('bad input changes nothing', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('a bad config is refused with errors that name the field, and nothing is started', () => {
    const dir = tempDir('mcr-badcfg-');
    const file = join(dir, 'bad.json5');
    const control = join(dir, 'control.sock');
    const [s] = streamPlan(1);
    const good = ruleFor(s!, lab);
    writeFileSync(
      file,
      JSON.stringify({
        control: { socket: control },
        rules: [good, { ...good, id: 'dup' }, { ...good, id: 'x', outputs: [{ ...good.outputs[0], port: 0 }] }, { ...good, id: 'y', input: { ...good.input, interface: 'nosuch0' } }],
      }),
    );
    const run = spawnSync('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, MCR_BIN, 'run', '--config', file], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('rules[2].outputs[0].port: must be 1..65535, got 0');
    expect(run.stderr).toContain('rules[3].input.interface: unknown interface "nosuch0"');
    expect(existsSync(control)).toBe(false);
  });

  it('malformed, unknown and oversized control requests are answered with an error; rules stay as they were', async () => {
    const streams = streamPlan(3);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const before = await relay.result('list');
      const answers = await rawExchange(
        relay.control,
        [
          '{not json',
          '[1,2]',
          '{"v":9,"cmd":"ping"}',
          '{"v":1,"cmd":"format-disk"}',
          '{"v":1,"cmd":"remove","id":42}',
          '{"v":1,"cmd":"remove","id":"nope"}',
          '{"v":1,"cmd":"add","rule":{"input":{"interface":"in0","group":"10.0.0.1","port":5001},"outputs":[]}}',
          JSON.stringify({ v: 1, cmd: 'add', rule: { ...ruleFor(streams[0]!, lab), id: 'copy' } }),
          '',
        ].join('\n'),
      );
      expect(answers.map((a) => JSON.parse(a).error.code)).toEqual(['EPARSE', 'EINVAL', 'EVERSION', 'EUNKNOWNCMD', 'EINVAL', 'ENOTFOUND', 'EINVALIDCONFIG', 'EINVALIDCONFIG']);
      const invalid = JSON.parse(answers[6]!).error.issues.map((i: { path: string }) => i.path);
      expect(invalid).toEqual(['rule.input.group', 'rule.outputs']);

      const huge = await rawExchange(relay.control, `{"v":1,"cmd":"ping","pad":"${'x'.repeat(70_000)}"}\n`);
      expect(JSON.parse(huge[0]!).error.code).toBe('ETOOBIG');

      expect(await relay.result('list')).toEqual(before);
      expect((await igmpMemberships(lab.topo.relay.ns)).get('in0')!.sort()).toEqual(streams.map((s) => s.group).sort());
      expect((await relay.result('ping')).pong).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('rules added and removed under traffic: the untouched stream loses nothing', async () => {
    const [steady, ...others] = streamPlan(6);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, rules: [ruleFor(steady!, lab)] });
    const sink = lab.topo.sinks[0]!;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: steady!.outGroup, port: steady!.outPort }], expect: 20_000 });
    try {
      const sending = runSender({
        netns: lab.topo.source.ns,
        interface: lab.topo.source.ifname,
        streams: [{ group: steady!.group, port: steady!.port }],
        rate: 10_000,
        count: 20_000,
        ttl: 8,
      });
      for (let round = 0; round < 3; round++) {
        for (const s of others) await relay.result('add', { rule: ruleFor(s, lab) });
        for (const s of others) await relay.result('remove', { id: s.id });
      }
      await sending;
      await new Promise((r) => setTimeout(r, 300));
      const got = await receiver.stop();
      expect(got.totals).toMatchObject({ unique: 20_000, missing: 0, duplicates: 0 });
      expect((await relay.result('stats')).totals.workerRestarts).toBe(0);
    } finally {
      await receiver.stop().catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });
});
