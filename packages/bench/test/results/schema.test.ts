import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { parseResult, validateResult } from '../../src/results/schema.js';
import { runStem, writeRun } from '../../src/results/writer.js';
import { NORMAL, point, result } from '../fixtures.js';

describe('result schema', () => {
  it('round-trips through the writer and the parser', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    try {
      const r = result([await point(NORMAL)]);
      const files = await writeRun(dir, r, (stem) => renderMarkdown(r, stem));
      expect(runStem(r)).toBe('2026-01-02T03-04-05-678Z-multi-stream');
      expect(files.json).toBe(join(dir, 'runs', '2026-01-02T03-04-05-678Z-multi-stream.json'));
      expect(files.latest).toBe(join(dir, 'latest-multi-stream.json'));
      const back = parseResult(await readFile(files.json, 'utf8'), files.json);
      expect(back).toEqual(r);
      expect(parseResult(await readFile(files.latest, 'utf8'))).toEqual(r);
      const names = await readdir(join(dir, 'runs'));
      expect(names).toContain('2026-01-02T03-04-05-678Z-multi-stream.md');
      expect(names).toContain('2026-01-02T03-04-05-678Z-multi-stream-delivered-0.svg');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records the family; an IPv6 run is named -ipv6 and never replaces the IPv4 latest file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    try {
      const r = result([await point(NORMAL)]);
      expect(r.settings.family).toBe('ipv4');
      r.settings.family = 'ipv6';
      const files = await writeRun(dir, r, (stem) => renderMarkdown(r, stem));
      expect(runStem(r)).toBe('2026-01-02T03-04-05-678Z-multi-stream-ipv6');
      expect(files.latest).toBe(join(dir, 'latest-multi-stream-ipv6.json'));
      expect(parseResult(await readFile(files.json, 'utf8')).settings.family).toBe('ipv6');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names what is wrong with a file that is not a result', () => {
    expect(validateResult({ schema: 'other' })).toEqual(expect.arrayContaining([expect.stringMatching(/^schema: expected "mcr-bench-result\/v1"/), 'points: expected an array']));
    expect(() => parseResult('{', 'x.json')).toThrow(/^x.json: not JSON/);
  });
});
