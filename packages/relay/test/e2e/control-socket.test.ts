import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSender, startReceiver, type Lab } from '@mcr/netns-lab';
import { request } from '../../src/control/control-client.js';
import { MCR_BIN, openClient, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';
import { tempDir } from '../temp-dirs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('control socket safety', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  const rules = () => streamPlan(2).map((s) => ruleFor(s, lab));

  it('is created 0600 by default, and with the configured mode and group', async () => {
    const a = await RelayProcess.start(lab.topo.relay.ns, { rules: rules() });
    try {
      expect(lstatSync(a.control).mode & 0o777).toBe(0o600);
    } finally {
      await a.stop();
    }
    const b = await RelayProcess.start(lab.topo.relay.ns, { rules: rules(), control: { socket: join(tempDir('mcr-grp-'), 'c.sock'), mode: '0660', group: 'daemon' } });
    try {
      const st = lstatSync(b.control);
      expect(st.mode & 0o777).toBe(0o660);
      expect(st.gid).toBe(1);
    } finally {
      await b.stop();
    }
  });

  it('silent clients are timed out, 100 clients at once (50 silent, 50 sending garbage) do not disturb forwarding or ping, and the rule set is unchanged', async () => {
    const streams = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, control: { idleTimeout: 1 }, rules: streams.map((s) => ruleFor(s, lab)) });
    const sink = lab.topo.sinks[0]!;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: streams.map((s) => ({ group: s.outGroup, port: s.outPort })), expect: 10_000 });
    try {
      const before = await relay.result('list');
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: streams.map((s) => ({ group: s.group, port: s.port })), rate: 10_000, count: 10_000, ttl: 8 });
      const silent = Array.from({ length: 50 }, () => openClient(relay.control));
      const noisy = Array.from({ length: 50 }, (_, i) => {
        const c = openClient(relay.control);
        c.socket.on('connect', () => c.socket.end(i % 2 ? '{"v":1,"cmd":"add","rule":42}\n' : 'garbage\n'));
        return c;
      });
      await sleep(200);
      expect((await request(relay.control, 'ping')).ok).toBe(true);
      const noisyAnswers = await Promise.all(noisy.map((c) => c.said));
      for (const a of noisyAnswers) expect(['EPARSE', 'EINVALIDCONFIG']).toContain(JSON.parse(a).error.code);
      const silentAnswers = await Promise.all(silent.map((c) => c.said));
      for (const a of silentAnswers) expect(JSON.parse(a).error.code).toBe('ETIMEDOUT');
      await sending;
      await sleep(300);
      expect((await receiver.stop()).totals).toMatchObject({ unique: 20_000, missing: 0, duplicates: 0 });
      expect(await relay.result('list')).toEqual(before);
    } finally {
      await receiver.stop().catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });

  it('past maxClients a connection is refused with EBUSY, not dropped silently', async () => {
    const relay = await RelayProcess.start(lab.topo.relay.ns, { control: { maxClients: 3 }, rules: rules() });
    try {
      await sleep(100); // start()'s last ping has closed its connection (request() resolves before the close)
      const held = Array.from({ length: 3 }, () => openClient(relay.control));
      await sleep(100);
      const refused = (await request(relay.control, 'ping')) as { ok: boolean; error?: { code: string } };
      expect(refused.error?.code).toBe('EBUSY');
      held.forEach((c) => c.socket.destroy());
      await sleep(100);
      expect((await request(relay.control, 'ping')).ok).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('a stale socket from a crashed relay is replaced; the workers of a killed supervisor do not outlive it', async () => {
    const first = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, rules: rules() });
    const workerPids: number[] = (await first.result('stats')).workers.map((w: { pid: number }) => w.pid);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(lstatSync(first.control).isSocket()).toBe(true); // left behind by the crash
    for (let i = 0; i < 50 && workerPids.some((p) => existsSync(`/proc/${p}`)); i++) await sleep(50);
    expect(workerPids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);

    const second = await RelayProcess.start(lab.topo.relay.ns, { rules: rules(), control: { socket: first.control } });
    try {
      expect((await second.result('ping')).pong).toBe(true);
      // ... and a live one is not taken over by a third relay.
      const dir = tempDir('mcr-live-');
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ control: { socket: first.control }, rules: rules() }));
      const third = spawnSync('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, MCR_BIN, 'run', '--config', join(dir, 'c.json')], { encoding: 'utf8' });
      expect(third.status).toBe(2);
      expect(third.stderr).toMatch(/is in use: another relay is running/);
    } finally {
      await second.stop();
    }
  });

  it('never follows a symlink at the socket path', () => {
    const dir = tempDir('mcr-link-');
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me');
    const path = join(dir, 'control.sock');
    symlinkSync(target, path);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ control: { socket: path }, rules: rules() }));
    const r = spawnSync('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, MCR_BIN, 'run', '--config', join(dir, 'c.json')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is a symbolic link; refusing to use it/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });
});
