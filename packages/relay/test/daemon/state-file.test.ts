import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRule } from '../../src/config/rule-schema.js';
import type { Rule } from '../../src/config/types.js';
import { readStateFile, writeStateFile } from '../../src/daemon/state-file.js';
import { tempDir } from '../temp-dirs.js';

const options = { interfaceExists: (name: string) => name !== 'gone0', isEthernet: () => true };
const dir = tempDir('mcr-state-');

describe('state file', () => {
  it('gives back the normalised rules it was given: IPv6, ranges, SSM, join', () => {
    const rules = [
      { id: 'six', input: { interface: 'in0', group: 'FF3E::1:0/120', port: 5001, source: 'fd00::1' }, outputs: [{ interface: 'out0', group: 'ff3e::9:0/120', port: 5001 }] },
      { id: 'wide', join: false, input: { interface: 'in0', group: '239.1.0.0/16', port: 5001 }, outputs: [{ interface: 'out0', group: '10.9.0.1', port: 5001 }] },
    ].map((r) => parseRule(r, options) as Rule);
    const file = join(dir, 'state.json');
    writeStateFile(file, rules);
    expect(readStateFile(file, options)).toEqual({ rules, skipped: [] });
  });

  it('skips a rule that no longer passes, with its field path, and keeps the others', () => {
    const file = join(dir, 'partial.json');
    const good = { id: 'a', input: { interface: 'in0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001 }] };
    writeFileSync(file, JSON.stringify({ v: 1, rules: [good, { ...good, id: 'b', input: { ...good.input, interface: 'gone0' } }, { ...good, id: undefined }] }));
    const { rules, skipped } = readStateFile(file, options);
    expect(rules.map((r) => r.id)).toEqual(['a']);
    expect(skipped).toEqual([
      { path: 'state.rules[1].input.interface', message: 'unknown interface "gone0"' },
      { path: 'state.rules[2].id', message: 'a saved rule must have an id' },
    ]);
  });

  it('refuses a file that is not a state file, and takes a missing one as empty', () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify({ v: 2, rules: [] }));
    expect(() => readStateFile(file, options)).toThrow(/other\.json: expected \{"v":1,"rules":\[\.\.\.\]\}/);
    expect(readStateFile(join(dir, 'none.json'), options)).toEqual({ rules: [], skipped: [] });
  });
});
