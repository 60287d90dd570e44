import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MCR_BIN } from '../e2e/harness.js';
import { tempDir } from '../temp-dirs.js';

const run = promisify(execFile);
const UNIT = fileURLToPath(new URL('../../../../packaging/mcr.service', import.meta.url));
const available = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);
const dir = tempDir('mcr-unit-');

describe('packaging/mcr.service', () => {
  /** What systemd-analyze verify says about the unit (its lines naming the unit), or throws when it fails. */
  async function verify(edit: (text: string) => string, name: string): Promise<string[]> {
    // verify checks that ExecStart's program exists: point it at this tree's mcr instead of /usr/bin/mcr.
    const sub = mkdtempSync(join(dir, name));
    const unit = join(sub, 'mcr.service');
    writeFileSync(unit, edit(readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/mcr ', `ExecStart=${MCR_BIN} `)));
    const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=no', unit]).catch((err: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`systemd-analyze verify failed (${err.code}):\n${err.stderr}${err.stdout}`);
    });
    // Warnings about the unit (unknown settings, bad values) come on stderr with its name.
    return `${stdout}${stderr}`.split('\n').filter((l) => l.includes('mcr.service'));
  }

  it.skipIf(!available)('passes systemd-analyze verify (skipped: systemd-analyze is not installed)', async () => {
    expect(await verify((t) => t, 'ok')).toEqual([]);
  });

  it.skipIf(!available)('negative control: a misspelt setting is reported (skipped: systemd-analyze is not installed)', async () => {
    expect(await verify((t) => t.replace('ProtectHome=yes', 'ProtectHome=yes\nProtectHomeDir=yes'), 'bad')).toEqual([expect.stringMatching(/Unknown key 'ProtectHomeDir'/)]);
  });

  it('runs as its own user with the capabilities the README names, and reloads with SIGHUP', () => {
    const text = readFileSync(UNIT, 'utf8');
    const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
    expect(setting('User')).toBe('mcr');
    expect(setting('AmbientCapabilities')).toBe('CAP_NET_RAW');
    expect(setting('CapabilityBoundingSet')).toBe(setting('AmbientCapabilities'));
    expect(setting('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(setting('RuntimeDirectory')).toBe('mcr');
    expect(setting('NoNewPrivileges')).toBe('yes');
    expect(setting('RestrictAddressFamilies')).toBe('AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK');
  });

  it('does not restart a relay whose configuration is refused (exit 2), and holds the group its control.group recipe names', () => {
    const text = readFileSync(UNIT, 'utf8');
    const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
    expect(setting('Restart')).toBe('on-failure');
    expect(setting('RestartPreventExitStatus')).toBe('2');
    // Under User=mcr the relay may give the socket only a group it is in (chown(2)).
    const group = setting('SupplementaryGroups');
    expect(group).toBe('mcr-control');
    expect(text).toContain(`groupadd --system ${group}`);
    expect(text).toContain(`control: { group: "${group}", mode: "0660" }`);
  });
});
