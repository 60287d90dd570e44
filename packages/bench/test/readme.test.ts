// The README's measured table is generated: the committed README must match the committed results
// (this is the check `npm test` runs), and a hand-edited number must make the check fail.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, END, MANIFEST, generate, replaceBlock, sectionBegin, sectionEnd, type Manifest } from '../src/readme/readme.js';
import { workspaceRoot } from '../src/settings.js';

const root = workspaceRoot(process.cwd());

describe('README measured table', () => {
  it('matches the results files named in results/readme.json (else: npx nx run bench:readme)', async () => {
    const { readme, updated } = await generate(root);
    expect(readme).toContain(BEGIN);
    expect(updated).toBe(readme);
  });

  it('names its run file in every row and invents nothing', async () => {
    const { updated } = await generate(root);
    const block = updated.slice(updated.indexOf(BEGIN), updated.indexOf(END));
    const rows = block.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| figure'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toMatch(/\(results\/runs\/[^)]+\.json\)/);
  });

  it('negative control: a hand-edited figure no longer matches', async () => {
    const { readme } = await generate(root);
    const edited = readme.replace(/\| NDR \(streams=10\) \| [0-9.]+ kpps/, '| NDR (streams=10) | 999.0 kpps');
    expect(edited).not.toBe(readme);
    const { updated } = await generate(root);
    expect(replaceBlock(edited, updated.slice(updated.indexOf(BEGIN), updated.indexOf(END) + END.length))).not.toBe(edited);
  });

  it('has the latency section between its markers, fed by the file results/readme.json names (or a placeholder)', async () => {
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8')) as Manifest;
    const latency = manifest.sections?.find((s) => s.name === 'latency');
    expect(latency).toBeDefined();
    const { updated } = await generate(root);
    const block = updated.slice(updated.indexOf(sectionBegin('latency')), updated.indexOf(sectionEnd('latency')));
    expect(block.length).toBeGreaterThan(0);
    if (latency!.file === null) expect(block).toContain('Not measured yet');
    else expect(block).toContain(`(${latency!.file})`);
  });
});
