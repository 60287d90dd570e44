import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { igmpMemberships, type Lab } from '@mcr/netns-lab';
import { request } from '../../src/control/control-client.js';
import { chainLab, MCR_BIN, RelayProcess, ruleFor, streamPlan } from './harness.js';
import { tempDir } from '../temp-dirs.js';

// Process faults: a relay that cannot start says why and exits 2 at once, leaving nothing running or
// on disk; signals during start-up and SIGHUP do what an operator expects; one socket path, one relay.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Launched {
  child: ChildProcess;
  stderr: () => string;
  /** Exit code and milliseconds from spawn (or from `since`, when given) to exit. */
  exited: Promise<{ code: number | null; ms: number }>;
}

/** Spawns `mcr run` with `config` (written to `dir`) in namespace `ns`, without waiting for it. */
function launch(ns: string, dir: string, config: Record<string, unknown>, extraArgs: string[] = []): Launched {
  const file = join(dir, 'relay.json');
  writeFileSync(file, JSON.stringify(config));
  const t0 = Date.now();
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, MCR_BIN, 'run', '--config', file, '--stats-interval', '0', ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 })));
  return { child, stderr: () => text, exited };
}

/** Resolves with the exit, or rejects if the process is still there after `limitMs` (and kills it). */
async function exitWithin(l: Launched, limitMs: number): Promise<{ code: number | null; ms: number }> {
  const timer = setTimeout(() => l.child.kill('SIGKILL'), limitMs);
  const result = await l.exited;
  clearTimeout(timer);
  if (result.ms >= limitMs) throw new Error(`still running after ${limitMs} ms: ${l.stderr()}`);
  return result;
}

/** Pids of the processes for which `matches` holds (processes that vanish meanwhile are skipped). */
function processesWhere(matches: (pid: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return matches(pid);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** Processes whose command line mentions `text` (the test's own config directory). */
const processesMentioning = (text: string) => processesWhere((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text));

/** Children of `parent` (a supervisor's workers). */
const childrenOf = (parent: number) =>
  processesWhere((pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
  });

describe('start-up and process faults', () => {
  let lab: Lab;
  const freshDir = (name: string) => tempDir(`mcr-${name}-`);
  beforeAll(async () => {
    lab = await chainLab();
  });
  afterAll(async () => {
    await lab?.down();
  });

  const rules = () => streamPlan(2).map((s) => ruleFor(s, lab));
  const relayNs = () => lab.topo.relay.ns;

  it('a control.group that does not resolve: exit 2 at once with the reason, no process left, no socket file, no membership', async () => {
    const dir = freshDir('group');
    const socket = join(dir, 'c.sock');
    const l = launch(relayNs(), dir, { workers: 2, control: { socket, group: 'no-such-group-mcr' }, rules: rules() });
    const { code, ms } = await exitWithin(l, 5000);
    console.info(`unresolvable control.group: exit ${code} after ${ms} ms (from spawn)`);
    expect(code).toBe(2);
    expect(l.stderr()).toMatch(/control\.group: unknown group "no-such-group-mcr"/);
    expect(existsSync(socket)).toBe(false);
    expect(processesMentioning(dir)).toEqual([]);
    expect((await igmpMemberships(relayNs())).get('in0') ?? []).toEqual([]);
  });

  it('a socket directory that is not the relay\'s, is writable by others, lies under a directory or symlink someone else could swap, or cannot be made is refused with exit 2; a sticky one is used', async () => {
    const cases: Array<{ what: string; prepare: (dir: string) => string; message: RegExp }> = [
      {
        what: 'owned by another user',
        prepare: (dir) => {
          const d = join(dir, 'theirs');
          mkdirSync(d, { mode: 0o755 });
          chownSync(d, 65534, 65534);
          return join(d, 'c.sock');
        },
        message: /control socket directory .*theirs is owned by uid 65534, not by this relay \(uid 0\) or root; refusing to use it/,
      },
      {
        what: 'writable by others',
        prepare: (dir) => {
          const d = join(dir, 'open');
          mkdirSync(d);
          chmodSync(d, 0o777);
          return join(d, 'c.sock');
        },
        message: /control socket directory .*open is writable by group or others \(mode 0777\) and not sticky/,
      },
      {
        what: 'ours, under a directory owned by another user (who could rename it and put another in its place)',
        prepare: (dir) => {
          const theirs = join(dir, 'theirs');
          mkdirSync(theirs, { mode: 0o755 });
          chownSync(theirs, 65534, 65534);
          mkdirSync(join(theirs, 'mine'), { mode: 0o755 });
          return join(theirs, 'mine', 'c.sock');
        },
        message: /control socket directory .*theirs\/mine: .*theirs is owned by uid 65534, not by this relay \(uid 0\) or root; refusing to use it/,
      },
      {
        what: 'ours, under a directory others can write to',
        prepare: (dir) => {
          const open = join(dir, 'open');
          mkdirSync(open);
          chmodSync(open, 0o777);
          mkdirSync(join(open, 'mine'), { mode: 0o755 });
          return join(open, 'mine', 'c.sock');
        },
        message: /control socket directory .*open\/mine: .*open is writable by group or others \(mode 0777\) and not sticky/,
      },
      {
        what: 'reached through a symlink another user owns in a sticky directory',
        prepare: (dir) => {
          const shared = join(dir, 'shared');
          mkdirSync(shared);
          chmodSync(shared, 0o1777);
          mkdirSync(join(dir, 'real'), { mode: 0o755 });
          symlinkSync(join(dir, 'real'), join(shared, 'link'));
          lchownSync(join(shared, 'link'), 65534, 65534);
          return join(shared, 'link', 'c.sock');
        },
        message: /control socket directory .*shared\/link: .*shared\/link is owned by uid 65534, not by this relay \(uid 0\) or root; refusing to use it/,
      },
      {
        what: 'under a regular file',
        prepare: (dir) => {
          writeFileSync(join(dir, 'file'), '');
          return join(dir, 'file', 'sub', 'c.sock');
        },
        message: /ENOTDIR/,
      },
    ];
    for (const c of cases) {
      const dir = freshDir('dir');
      const socket = c.prepare(dir);
      const l = launch(relayNs(), dir, { control: { socket }, rules: rules() });
      const { code } = await exitWithin(l, 5000);
      expect({ what: c.what, code }).toEqual({ what: c.what, code: 2 });
      expect(l.stderr()).toMatch(c.message);
      expect(existsSync(socket)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
    }
    const sticky = join(freshDir('sticky'), 'shared');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const relay = await RelayProcess.start(relayNs(), { control: { socket: join(sticky, 'c.sock') }, rules: rules() });
    expect(await relay.stop()).toBe(0);
    // A symlink of the relay's own user (root here), in a directory only it can write, is followed.
    const base = freshDir('ownlink');
    mkdirSync(join(base, 'real'), { mode: 0o755 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const linked = await RelayProcess.start(relayNs(), { control: { socket: join(base, 'link', 'c.sock') }, rules: rules() });
    expect(await linked.stop()).toBe(0);
  });

  it('workers that cannot start (fanout id taken by another relay in another mode): exit 2 with the reason, nothing left, the other relay unharmed', async () => {
    const first = await RelayProcess.start(relayNs(), { fanout: { mode: 'hash', id: 4242 }, rules: rules() });
    try {
      const dir = freshDir('workers');
      const socket = join(dir, 'c.sock');
      const l = launch(relayNs(), dir, { workers: 2, fanout: { mode: 'cpu', id: 4242 }, control: { socket }, rules: rules() });
      const { code, ms } = await exitWithin(l, 5000);
      console.info(`workers that cannot start: exit ${code} after ${ms} ms (from spawn)`);
      expect(code).toBe(2);
      expect(l.stderr()).toMatch(/cannot start/);
      expect(existsSync(socket)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
      expect((await first.result('list')).rules).toHaveLength(2);
      expect((await first.result('stats')).totals.workersAlive).toBe(1);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  });

  it('a second relay on the same socket path is refused by the lock, even while the first is stopped (SIGSTOP)', async () => {
    const first = await RelayProcess.start(relayNs(), { rules: rules() });
    try {
      first.child.kill('SIGSTOP');
      const dir = freshDir('second');
      const second = launch(relayNs(), dir, { control: { socket: first.control }, rules: rules() });
      const { code, ms } = await exitWithin(second, 5000);
      console.info(`second relay on the socket of a SIGSTOPped one: exit ${code} after ${ms} ms (from spawn)`);
      expect(code).toBe(2);
      expect(ms).toBeLessThan(2500);
      expect(second.stderr()).toMatch(/control socket .*control\.sock is in use: another relay is running \(it holds .*control\.sock\.lock\)/);
      expect(processesMentioning(dir)).toEqual([]);
      first.child.kill('SIGCONT');
      expect((await first.result('ping')).pid).toBe((await first.result('ping')).pid);
      expect((await first.result('list')).rules).toHaveLength(2);
    } finally {
      first.child.kill('SIGCONT');
      expect(await first.stop()).toBe(0);
    }
  });

  it('SIGTERM during start-up stops the relay within 2 s, leaving no worker, membership or socket file', async () => {
    const dir = freshDir('early');
    const socket = join(dir, 'c.sock');
    // 8 workers start one after the other: start-up takes long enough to be interrupted.
    const l = launch(relayNs(), dir, { workers: 8, control: { socket }, rules: rules() });
    await new Promise<void>((resolve) => {
      const check = () => (/starting \(pid \d+\)/.test(l.stderr()) ? resolve() : setTimeout(check, 5));
      check();
    });
    await sleep(150); // some workers are up by now
    const workers = childrenOf(l.child.pid!);
    const t0 = Date.now();
    l.child.kill('SIGTERM');
    const { code } = await exitWithin(l, 5000);
    const stopMs = Date.now() - t0;
    console.info(`SIGTERM during start-up (${workers.length} worker(s) running): exit ${code} after ${stopMs} ms`);
    expect(l.stderr()).not.toMatch(/control socket .* rule\(s\)/); // it was still starting
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(2000);
    expect(existsSync(socket)).toBe(false);
    for (let i = 0; i < 50 && workers.some((p) => existsSync(`/proc/${p}`)); i++) await sleep(20);
    expect(workers.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
    expect((await igmpMemberships(relayNs())).get('in0') ?? []).toEqual([]);
  });

  it('SIGHUP does not stop the relay: it reloads an unchanged file, which changes nothing', async () => {
    const relay = await RelayProcess.start(relayNs(), { rules: rules() });
    try {
      relay.child.kill('SIGHUP');
      await sleep(300);
      expect((await request(relay.control, 'ping', {}, 1000)).ok).toBe(true);
      expect(relay.stderr).toMatch(/SIGHUP: reloading .*\n.*reload: added - removed - changed - unchanged \d+/);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
