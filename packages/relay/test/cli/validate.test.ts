import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MCR_BIN } from '../e2e/harness.js';
import { tempDir } from '../temp-dirs.js';

const run = promisify(execFile);
const dir = tempDir('mcr-validate-');

async function validate(config: unknown, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.json5`);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  try {
    const { stdout, stderr } = await run(process.execPath, [MCR_BIN, 'validate', '--config', file, ...flags]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const good = { rules: [{ id: 'a', input: { interface: 'lo', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'lo', group: '239.9.9.1', port: 6001 }] }] };

describe('mcr validate', () => {
  it('exits 0 on a good file (interfaces unchecked with --skip-interfaces)', async () => {
    const r = await validate({ ...good, rules: [{ ...good.rules[0], outputs: [{ interface: 'eth-elsewhere', group: '239.9.9.1', port: 6001 }] }] }, '--skip-interfaces');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(1 rule\(s\) on 1 input interface\(s\); interfaces not checked\)/);
  });

  it('exits 2 on a bad file, naming every bad field', async () => {
    const r = await validate({
      workers: 0,
      logFormat: 'xml',
      metrics: { listen: 'localhost:9464' },
      rules: [{ input: { interface: 'lo', group: '10.0.0.1', port: 5001 }, outputs: [{ interface: 'nosuch0', group: '239.9.9.1', port: 70000 }] }],
    });
    expect(r.code).toBe(2);
    for (const path of ['workers', 'logFormat', 'metrics.listen', 'rules[0].input.group', 'rules[0].outputs[0].interface', 'rules[0].outputs[0].port']) {
      expect(r.stderr).toMatch(new RegExp(`^  ${path.replace(/[[\].]/g, '\\$&')}: `, 'm'));
    }
  });

  it('waitForInterfaces: an absent interface is a warning naming its field (exit 0); a malformed name is still an error', async () => {
    const waiting = { ...good, waitForInterfaces: true, rules: [{ ...good.rules[0], outputs: [{ interface: 'later0', group: '239.9.9.1', port: 6001 }] }] };
    const r = await validate(waiting);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(1 rule\(s\) on 1 input interface\(s\)\)/);
    expect(r.stderr).toBe('warning: rules[0].outputs[0].interface: interface "later0" is absent: the rule waits for it (waitForInterfaces)\n');
    const typo = await validate({ ...waiting, rules: [{ ...waiting.rules[0], outputs: [{ interface: 'bad name!', group: '239.9.9.1', port: 6001 }] }] });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('rules[0].outputs[0].interface: "bad name!" is not a valid interface name');
    expect((await validate({ ...waiting, waitForInterfaces: false })).code).toBe(2);
  });

  it('exits 2 on a file that is not JSON5, and on a usage error', async () => {
    expect((await validate('{ rules: [ }')).code).toBe(2);
    expect((await validate(good, '--bogus')).code).toBe(2);
  });
});
