// Writes a run: results/runs/<ISO time>-<target>.json and .md (with SVG charts beside it), and
// results/latest-<target>.json. IPv6 runs carry `-ipv6` after the target in both names, so they
// never replace the IPv4 figures the README is generated from.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from './schema.js';

export interface WrittenFiles {
  json: string;
  markdown: string;
  latest: string;
  charts: string[];
}

/** `multi-stream`, or `multi-stream-ipv6` for an IPv6 run (results written before --family are IPv4). */
export function runName(result: Pick<BenchResult, 'target'> & { settings?: { family?: string } }): string {
  return result.settings?.family === 'ipv6' ? `${result.target}-ipv6` : result.target;
}

export function runStem(result: Pick<BenchResult, 'startedAt' | 'target'> & { settings?: { family?: string } }): string {
  return `${result.startedAt.replace(/[:.]/g, '-')}-${runName(result)}`;
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
  const latest = join(outDir, `latest-${runName(result)}.json`);
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
