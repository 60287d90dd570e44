import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRule } from '../../src/config/rule-schema.js';
import type { Rule } from '../../src/config/types.js';
import { prepareStateFile, readStateFile, StateFileUnreadable, stateFileText, writeStateFile } from '../../src/daemon/state-file.js';
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
    expect(() => readStateFile(file, options)).toThrow(StateFileUnreadable);
    expect(() => readStateFile(file, options)).toThrow(/other\.json: expected \{"v":1,"rules":\[\.\.\.\]\}/);
    expect(readStateFile(join(dir, 'none.json'), options)).toEqual({ rules: [], skipped: [] });
  });

  it('writes a new file beside the old one: discarded, nothing changes; committed, it replaces the old one whole', () => {
    const sub = tempDir('mcr-state-write-');
    const file = join(sub, 'state.json');
    const rule = parseRule({ id: 'a', input: { interface: 'in0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'out0', group: '239.9.9.1', port: 6001 }] }, options) as Rule;
    writeStateFile(file, []);
    const dropped = prepareStateFile(file, [rule]);
    expect(readdirSync(sub)).toHaveLength(2);
    dropped.discard();
    expect(readdirSync(sub)).toEqual(['state.json']);
    expect(readFileSync(file, 'utf8')).toBe(stateFileText([]));
    const kept = prepareStateFile(file, [rule]);
    kept.commit();
    expect(readdirSync(sub)).toEqual(['state.json']);
    expect(readFileSync(file, 'utf8')).toBe(kept.text);
    expect(() => kept.commit()).toThrow(/settled already/);
    expect(() => prepareStateFile(join(sub, 'missing-dir', 'state.json'), [rule])).toThrow(/ENOENT/);
  });
});
