// FileLock: flock(2) semantics as the relay relies on them: exclusive across open files (so across
// processes), dropped with the holder's exit, never inherited by child processes, never through a symlink.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { FileLock } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mcr-file-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileLock', () => {
  it('is exclusive, released by release(), and release() is idempotent', () => {
    const path = join(dir, 'a.lock');
    const first = FileLock.acquire(path);
    expect(() => FileLock.acquire(path)).toThrow(expect.objectContaining({ code: 'EAGAIN', syscall: 'flock' }));
    first.release();
    first.release();
    expect(first.fd).toBeUndefined();
    FileLock.acquire(path).release();
  });

  it('held by another process, is refused; dropped when that process is killed; not inherited by our children', async () => {
    const path = join(dir, 'b.lock');
    const holderScript = `import { FileLock } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      FileLock.acquire(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', holderScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    expect(() => FileLock.acquire(path)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));

    const ours = FileLock.acquire(path);
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    ours.release();
    try {
      FileLock.acquire(path).release(); // the child did not inherit the descriptor: the lock is free
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('never opens through a symlink', () => {
    const target = join(dir, 'target');
    writeFileSync(target, '');
    const link = join(dir, 'link.lock');
    symlinkSync(target, link);
    expect(() => FileLock.acquire(link)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});
