// Writes a run: results/runs/<ISO time>-<target>.json and .md (with SVG charts beside it), and
// results/latest-<target>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from './schema.js';

export interface WrittenFiles {
  json: string;
  markdown: string;
  latest: string;
  charts: string[];
}

export function runStem(result: Pick<BenchResult, 'startedAt' | 'target'>): string {
  return `${result.startedAt.replace(/[:.]/g, '-')}-${result.target}`;
}

export async function writeRun(
  outDir: string,
  result: BenchResult,
  markdown: (stem: string) => { text: string; charts: { file: string; svg: string }[] },
): Promise<WrittenFiles> {
  const runs = join(outDir, 'runs');
  await mkdir(runs, { recursive: true });
  const stem = runStem(result);
  const body = JSON.stringify(result, null, 2) + '\n';
  const json = join(runs, `${stem}.json`);
  await writeFile(json, body);
  const latest = join(outDir, `latest-${result.target}.json`);
  await writeFile(latest, body);
  const md = markdown(stem);
  const charts: string[] = [];
  for (const c of md.charts) {
    const p = join(runs, c.file);
    await writeFile(p, c.svg);
    charts.push(p);
  }
  const markdownPath = join(runs, `${stem}.md`);
  await writeFile(markdownPath, md.text);
  return { json, markdown: markdownPath, latest, charts };
}
