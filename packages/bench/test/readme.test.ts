// The README's and docs/' generated blocks: the committed documents must match the committed results
// and the code (this is the check `npm test` runs), and a hand-edited number must make the check fail.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, DURATIONS_BEGIN, DURATIONS_END, END, MANIFEST, generate, replaceBlock, sectionBegin, sectionEnd, tcNdrVerdict, type Manifest } from '../src/readme/readme.js';
import { parseResult } from '../src/results/schema.js';
import { CONFIG_FIELDS, LIMITS, renderLimits } from '../src/readme/reference.js';
import { workspaceRoot } from '../src/settings.js';
import { NATIVE_LIMITS } from '@mcr/relay';

const root = workspaceRoot(process.cwd());
const doc = async (file: string) => {
  const d = (await generate(root)).find((x) => x.file === file);
  if (!d) throw new Error(`${file}: not among the generated documents`);
  return d;
};

describe('generated blocks of README.md and docs/', () => {
  it('match the results files named in results/readme.json and the code (else: npx nx run bench:readme)', async () => {
    const docs = await generate(root);
    expect(docs.map((d) => d.file)).toContain('README.md');
    for (const d of docs) expect({ file: d.file, text: d.updated }).toEqual({ file: d.file, text: d.text });
  });

  it('the measured table names its run file in every row and invents nothing', async () => {
    const { updated } = await doc('README.md');
    const block = updated.slice(updated.indexOf(BEGIN), updated.indexOf(END));
    const rows = block.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| figure'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toMatch(/\(results\/runs\/[^)]+\.json\)/);
  });

  it('negative control: a hand-edited figure no longer matches', async () => {
    const { text, updated } = await doc('README.md');
    const edited = text.replace(/\| NDR \(streams=10\) \| [0-9.]+ kpps/, '| NDR (streams=10) | 999.0 kpps');
    expect(edited).not.toBe(text);
    expect(replaceBlock(edited, updated.slice(updated.indexOf(BEGIN), updated.indexOf(END) + END.length))).not.toBe(edited);
  });

  it('has the latency section in docs/bench.md, fed by the file results/readme.json names (or a placeholder), with links from docs/', async () => {
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8')) as Manifest;
    const latency = manifest.sections?.find((s) => s.name === 'latency');
    expect(latency).toBeDefined();
    const { updated } = await doc('docs/bench.md');
    const block = updated.slice(updated.indexOf(sectionBegin('latency')), updated.indexOf(sectionEnd('latency')));
    expect(block.length).toBeGreaterThan(0);
    if (latency!.file === null) expect(block).toContain('Not measured yet');
    else expect(block).toContain(`(../${latency!.file})`);
  });

  it('docs/bench.md states how long each run took from the run file itself', async () => {
    const { updated } = await doc('docs/bench.md');
    const block = updated.slice(updated.indexOf(DURATIONS_BEGIN), updated.indexOf(DURATIONS_END));
    const rows = block.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const file = /\(\.\.\/(results\/runs\/[^)]+\.json)\)/.exec(r)?.[1];
      expect(file).toBeDefined();
      const result = parseResult(readFileSync(join(root, file!), 'utf8'), file!);
      expect(r).toContain(`| ${(result.durationSec / 60).toFixed(1)} min |`);
    }
  });

  it("says whether mcr-tc's NDR reaches mcr's in a committed run, and not more than a lower bound shows", () => {
    const file = 'results/runs/2026-12-07T20-12-28-576Z-multi-stream.json';
    const result = parseResult(readFileSync(join(root, file), 'utf8'), file);
    const m = { label: 'NDR', file, kind: 'ndr' as const };
    expect(tcNdrVerdict(m, result)?.[2]).toBe('met');
    // The same run with mcr's NDR above mcr-tc's sender-bound one: nothing is shown either way.
    const relays = result.points[0]!.relays.map((r) => (r.relay === 'mcr' && r.ndr ? { ...r, ndr: { ...r.ndr, pps: r.ndr.pps * 2 } } : r));
    const higher = { ...result, points: [{ ...result.points[0]!, relays }] };
    expect(tcNdrVerdict(m, higher)?.[2]).toMatch(/^not shown: mcr-tc is sender-bound/);
    const unbounded = { ...higher, points: [{ ...higher.points[0]!, relays: relays.map((r) => (r.relay === 'mcr-tc' && r.ndr ? { ...r, ndr: { ...r.ndr, senderBound: false, atCeiling: false } } : r)) }] };
    expect(tcNdrVerdict(m, unbounded)?.[2]).toBe('NOT met');
  });

  it('states every config field and limit from the code: docs/config.md and docs/faults-and-limits.md', async () => {
    const config = (await doc('docs/config.md')).updated;
    const fields = config.slice(config.indexOf(CONFIG_FIELDS.begin), config.indexOf(CONFIG_FIELDS.end));
    expect(fields).toMatch(/\| `workers` \| integer \| 1\.\.64 \| `1` \|/);
    expect(fields).toMatch(/\| `rules\[\]\.outputs\[\]\.ttl` \| integer \| 1\.\.255 \| `16` \|/);
    const limits = (await doc('docs/faults-and-limits.md')).updated;
    expect(limits.slice(limits.indexOf(LIMITS.begin))).toContain(`| \`NATIVE_LIMITS.maxOutputsPerRule\` | ${NATIVE_LIMITS.maxOutputsPerRule} |`);
    expect(renderLimits()).toContain('RELAY_LIMITS.maxRules');
  });
});
