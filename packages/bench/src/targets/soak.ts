// bench:soak: mcr at half its measured NDR for --duration seconds (default 10 minutes) while a rule is
// added or removed every second, through the lab's `soak` scenario (memory, descriptors, loss <= 0.01 %,
// no duplicate). The rate comes from the latest multi-stream result unless --rate is given: the soak
// is meant to follow a measurement, not a guess.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { parseResult } from '../results/schema.js';
import type { Settings } from '../settings.js';

async function halfMeasuredNdr(s: Settings): Promise<{ rate: number; source: string; streams: number } | string> {
  const file = join(s.outDir, 'latest-multi-stream.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return `no measured NDR (${file} is missing): run \`npx nx run bench:multi-stream\` first, or pass --rate`;
  }
  const result = parseResult(text, file);
  const ndr = result.points[0]?.relays.find((r) => r.relay === 'mcr')?.ndr;
  if (!ndr?.pps) return `${file} has no NDR for mcr: run \`npx nx run bench:multi-stream\` again, or pass --rate`;
  return { rate: Math.round(ndr.pps / 2), source: `half of mcr's NDR ${ndr.pps} pps from ${result.startedAt}`, streams: result.settings.streams };
}

export async function runSoak(s: Settings, cwd: string): Promise<number> {
  let rate = s.ratePps;
  let source = 'given with --rate';
  let streams = s.streams;
  if (rate === null) {
    const measured = await halfMeasuredNdr(s);
    if (typeof measured === 'string') {
      process.stderr.write(`bench soak: ${measured}\n`);
      return 2;
    }
    ({ rate, source, streams } = measured);
  }
  const lab = await import('@mcr/netns-lab');
  const clock = startClock();
  const result = makeResult({ ...s, streams }, clock, cwd);
  process.stderr.write(`bench soak: ${s.durationSec} s at ${rate} pps (${source}), ${streams} streams\n`);
  const report = await lab.runScenario('soak', {
    duration: s.durationSec,
    rate,
    streams,
    workers: s.workers,
    size: s.size,
    onProgress: (line: string) => process.stderr.write(`bench ${line}\n`),
  });
  result.soak = {
    ratePps: rate,
    rateSource: source,
    durationSec: s.durationSec,
    passed: report.passed,
    violations: report.violations.map((v) => ({ metric: v.metric, value: v.value, threshold: v.threshold, message: v.message })),
    summary: report.summary,
    details: report.details,
  };
  finishResult(result, clock);
  process.stdout.write(lab.renderReport(report) + '\n');
  await publish(result, s);
  return report.passed ? 0 : 1;
}
