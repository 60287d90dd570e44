// bench:readme: writes the README's generated blocks (measured table, latency section) from
// results/readme.json; --check only compares
// (exit 1 when the README and the results disagree).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from '../readme/readme.js';
import { workspaceRoot, type Settings } from '../settings.js';

export async function runReadme(s: Settings, cwd: string): Promise<number> {
  const root = workspaceRoot(cwd);
  const { readme, updated } = await generate(root);
  if (s.check) {
    if (readme === updated) {
      process.stdout.write('bench readme: README.md matches the results files\n');
      return 0;
    }
    process.stderr.write('bench readme: README.md does not match the results files named in results/readme.json; run npx nx run bench:readme\n');
    return 1;
  }
  if (readme !== updated) await writeFile(join(root, 'README.md'), updated);
  process.stdout.write(`bench readme: README.md ${readme === updated ? 'already up to date' : 'updated'}\n`);
  return 0;
}
