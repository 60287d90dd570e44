import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, type Lab } from '@mcr/netns-lab';
import { MCR_BIN, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';
import { tempDir } from '../temp-dirs.js';

// `mcr run --state FILE`: the runtime rules survive a full disk and a file that cannot be read.

function mcr(relay: RelayProcess, args: string[]) {
  return spawnSync(process.execPath, [MCR_BIN, ...args, '--control', relay.control], { encoding: 'utf8' });
}

/** A private directory with a tmpfs of `size` mounted on it; unmounted by `release`. */
async function smallDisk(size: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dir = tempDir('mcr-disk-');
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  return { dir, release: () => run('umount', [dir]).then(() => undefined) };
}

/** Runtime rule n: its own group, joining nothing (no membership limit stands in the way). */
const noJoinArgs = (n: number) => ['--id', `k${n}`, '--input', `in0:239.3.${n >> 8}.${n & 255}:5001`, '--output', `out0:239.8.${n >> 8}.${n & 255}:6001`, '--no-join'];

describe('state file', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('on a full disk: an add, remove or reload that cannot be saved is refused (ESTATE) and changes nothing; the file stays whole; a restart restores it', async () => {
    const [s0] = streamPlan(1);
    const disk = await smallDisk('8k');
    const state = join(disk.dir, 'state.json');
    let relay: RelayProcess | undefined;
    try {
      relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] }, ['--state', state]);
      const runtimeIds = async () => (await relay!.result('list')).rules.map((r: { id: string }) => r.id).filter((id: string) => id !== s0!.id);
      let refused: ReturnType<typeof mcr> | undefined;
      for (let n = 1; n <= 40 && !refused; n++) {
        const before = await relay.result('list');
        const statsBefore = await relay.result('stats');
        const added = mcr(relay, ['add', ...noJoinArgs(n)]);
        if (added.status === 0) {
          // Every answered add is on disk, whole.
          expect(JSON.parse(readFileSync(state, 'utf8')).rules.map((r: { id: string }) => r.id)).toEqual(await runtimeIds());
          continue;
        }
        refused = added;
        expect(added.status).toBe(1);
        expect(added.stderr).toMatch(/ESTATE: .*state\.json.*ENOSPC/);
        // Nothing changed: the list, the data plane's rules, the workers.
        expect(await relay.result('list')).toEqual(before);
        const statsAfter = await relay.result('stats');
        expect(statsAfter.rules.map((r: { id: string }) => r.id)).toEqual(statsBefore.rules.map((r: { id: string }) => r.id));
        expect(statsAfter.workers.map((w: { pid: number }) => w.pid)).toEqual(statsBefore.workers.map((w: { pid: number }) => w.pid));
        expect(statsAfter.stateFile).toMatchObject({ ok: false, path: state, error: expect.stringMatching(/ENOSPC/) });
      }
      expect(refused, 'an 8 KiB disk fills up within 40 rules').toBeDefined();
      const saved = JSON.parse(readFileSync(state, 'utf8'));
      expect(saved.rules.map((r: { id: string }) => r.id)).toEqual(await runtimeIds());
      expect(readdirSync(disk.dir)).toEqual(['state.json']); // no temporary file left behind
      console.info(`8 KiB state disk: ${saved.rules.length} runtime rules saved (${readFileSync(state).length} bytes) before an add was refused`);

      // Fill what is left: now a remove and a reload that would change the saved set are refused too.
      writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(4096));
      const before = await relay.result('list');
      const removed = mcr(relay, ['remove', 'k1']);
      expect(removed.status).toBe(1);
      expect(removed.stderr).toMatch(/ESTATE: .*ENOSPC/);
      relay.writeConfig({ rules: [ruleFor(s0!, lab), { id: 'k2', input: { interface: 'in0', group: '239.3.0.2', port: 5001 }, outputs: [{ interface: 'out0', group: '239.8.0.2', port: 6001 }], join: false }] });
      const reloaded = await relay.call('reload');
      expect(reloaded.ok ? null : reloaded.error.code).toBe('ESTATE');
      expect(await relay.result('list')).toEqual(before);
      expect(JSON.parse(readFileSync(state, 'utf8'))).toEqual(saved);
      await run('rm', [join(disk.dir, 'filler')]);
      relay.writeConfig({ rules: [ruleFor(s0!, lab)] });
      expect(await relay.stop()).toBe(0);

      relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] }, ['--state', state]);
      expect(await runtimeIds()).toEqual(saved.rules.map((r: { id: string }) => r.id));
      expect((await relay.result('stats')).stateFile).toEqual({ ok: true, path: state, error: null });
    } finally {
      await relay?.stop();
      await disk.release();
    }
  });

  it('a state file that cannot be parsed does not stop the relay: it starts with the config\'s rules and moves the file aside', async () => {
    const [s0] = streamPlan(1);
    const dir = tempDir('mcr-state-');
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"v":1,"rules":[{"id":"half');
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] }, ['--state', state]);
    try {
      expect((await relay.result('list')).rules.map((r: { id: string }) => r.id)).toEqual([s0!.id]);
      const aside = readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('{"v":1,"rules":[{"id":"half');
      expect(existsSync(state)).toBe(false);
      const { stateFile } = await relay.result('stats');
      expect(stateFile).toEqual({ ok: false, path: state, error: expect.stringContaining(`moved aside to ${join(dir, aside[0]!)}`) });
      expect(relay.stderr).toMatch(/mcr error: state file .*state\.json.*not JSON/);
      // The next save writes a good file again.
      expect(mcr(relay, ['add', ...noJoinArgs(1)]).status).toBe(0);
      expect(JSON.parse(readFileSync(state, 'utf8')).rules.map((r: { id: string }) => r.id)).toEqual(['k1']);
      expect((await relay.result('stats')).stateFile).toEqual({ ok: true, path: state, error: null });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
