import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MCR_BIN } from '../e2e/harness.js';

const run = promisify(execFile);

async function mcr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MCR_BIN, ...args], { env: { ...process.env, MCR_CONTROL: '/nonexistent/mcr.sock' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Usage errors are caught before anything is asked of a relay: exit 2, the flag named, the help hint.
describe('mcr usage errors', () => {
  it('mcr add: endpoints, missing flags and unknown flags', async () => {
    expect(await mcr('add', '--input', 'in0:ff3e::1:2:5001', '--output', 'out0:[ff3e::9]:6001')).toEqual({
      code: 2,
      stdout: '',
      stderr: `mcr add: --input: must be IFACE:GROUP[/LEN]:PORT (an IPv6 group goes in brackets: in0:[ff3e::1:2]:5001), got "in0:ff3e::1:2:5001"\nRun 'mcr add --help' for usage.\n`,
    });
    expect(await mcr('add', '--output', 'out0:239.9.9.1:6001')).toMatchObject({ code: 2, stderr: expect.stringContaining('--input IFACE:GROUP[/LEN]:PORT is required') });
    expect(await mcr('add', '--input', 'in0:239.1.1.1:5001', '--output', 'o:239.9.9.1:1', '--join')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^mcr add: Unknown option '--join'/) });
    expect(await mcr('add', '--input', 'in0:239.1.1.1:5001', '--output', 'o:239.9.9.1:1', '--vlan', 'ten')).toMatchObject({ code: 2, stderr: expect.stringContaining('--vlan: must be an integer') });
  });

  it('mcr run: the overriding flags are checked by the config schema\'s fields', async () => {
    expect(await mcr('run', '--config', '/nonexistent.json5', '--workers', '0')).toMatchObject({ code: 2, stderr: "mcr run: --workers: must be 1..64, got 0\nRun 'mcr run --help' for usage.\n" });
    expect(await mcr('run', '--config', '/x', '--log-level', 'loud')).toMatchObject({ code: 2, stderr: expect.stringContaining('--log-level: must be one of error | warn | info | debug, got "loud"') });
    expect(await mcr('run', '--workers', '2')).toMatchObject({ code: 2, stderr: expect.stringContaining('--config FILE is required') });
  });

  it('documents the new flags in mcr add --help', async () => {
    const help = await mcr('add', '--help');
    expect(help.code).toBe(0);
    for (const word of ['--no-join', '--source', 'in0:[ff3e::1:2]:5001', 'IFACE:GROUP[/LEN]:PORT[:TTL]', 'ff02::/16']) expect(help.stdout).toContain(word);
  });
});
