// Finishing a run: the result object, the terminal report, the files under results/.
import { performance } from 'node:perf_hooks';
import { renderMarkdown, sweepParam } from './report/markdown.js';
import { asciiChart } from './report/ascii.js';
import { deliveredVsOffered, sweep } from './report/series.js';
import { renderPointText, sweepRows, textTable } from './report/table.js';
import { machineFindingsOrNull } from './lab.js';
import { environment } from './results/environment.js';
import { SCHEMA, type BenchResult } from './results/schema.js';
import { writeRun, type WrittenFiles } from './results/writer.js';
import type { Settings } from './settings.js';

export interface RunClock {
  startedAt: string;
  t0: number;
}

export const startClock = (): RunClock => ({ startedAt: new Date().toISOString(), t0: performance.now() });

export function makeResult(settings: Settings, clock: RunClock, cwd: string): BenchResult {
  const { outDir: _o, json: _j, updateBaseline: _u, check: _c, ...kept } = settings;
  return {
    schema: SCHEMA,
    target: settings.target,
    startedAt: clock.startedAt,
    finishedAt: clock.startedAt,
    durationSec: 0,
    environment: environment(cwd),
    settings: kept,
    points: [],
    // A relay that cannot run here is said once up front; search tables also show it as a row.
    notes: settings.unavailable.map((u) => `unavailable: ${u.reason}`),
  };
}

export function finishResult(result: BenchResult, clock: RunClock): BenchResult {
  result.finishedAt = new Date().toISOString();
  result.durationSec = (performance.now() - clock.t0) / 1000;
  return result;
}

/** The human report: tables, ratios, terminal charts. */
export function renderText(result: BenchResult, color: boolean): string {
  let out = '';
  const param = sweepParam(result.target);
  for (const p of result.points) out += '\n' + renderPointText(p, result.settings.floorPps, result.settings.family);
  if (param && result.points.length > 1) {
    const { header, rows } = sweepRows(result.points);
    out += `\nSweep over ${param}\n${textTable(header, rows)}`;
    out += '\n' + asciiChart(sweep(result.points, param), { title: `Throughput (PDR) vs ${param}`, xLabel: param, yLabel: 'kpps', color });
  }
  const last = result.points[result.points.length - 1];
  if (last && last.relays.some((r) => r.trials.length > 0)) {
    out += '\n' + asciiChart(deliveredVsOffered(last), { title: `Delivered vs offered (${last.label})`, xLabel: 'offered kpps', yLabel: 'delivered kpps', color });
  }
  if (result.notes.length) out += '\nNotes:\n' + result.notes.map((n) => `  - ${n}`).join('\n') + '\n';
  return out;
}

export async function publish(result: BenchResult, settings: Settings): Promise<WrittenFiles> {
  // What the lab's doctor found on this machine: the kernel features and tools every figure depends on.
  result.environment.machine ??= await machineFindingsOrNull();
  const files = await writeRun(settings.outDir, result, (stem) => renderMarkdown(result, stem));
  const human = settings.json ? process.stderr : process.stdout;
  human.write(renderText(result, human.isTTY === true));
  human.write(`\nresult: ${files.json}\nsummary: ${files.markdown}\nlatest: ${files.latest}\n`);
  if (settings.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return files;
}
