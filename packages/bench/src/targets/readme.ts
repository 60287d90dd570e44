// bench:readme: writes the generated blocks of README.md and docs/*.md (measured table, baselines,
// latency and chaos sections, reference tables) from results/readme.json and the code; --check only
// compares (exit 1 when a document and its sources disagree).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from '../readme/readme.js';
import { workspaceRoot, type Settings } from '../settings.js';

export async function runReadme(s: Settings, cwd: string): Promise<number> {
  const root = workspaceRoot(cwd);
  const stale = (await generate(root)).filter((d) => d.text !== d.updated);
  if (s.check) {
    if (stale.length === 0) {
      process.stdout.write('bench readme: README.md and docs/ match the results files and the code\n');
      return 0;
    }
    process.stderr.write(`bench readme: ${stale.map((d) => d.file).join(', ')} do not match the results files named in results/readme.json or the code; run npx nx run bench:readme\n`);
    return 1;
  }
  for (const d of stale) await writeFile(join(root, d.file), d.updated);
  process.stdout.write(`bench readme: ${stale.length ? `${stale.map((d) => d.file).join(', ')} updated` : 'README.md and docs/ already up to date'}\n`);
  return 0;
}
