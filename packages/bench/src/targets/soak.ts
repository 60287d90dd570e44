// bench:soak: mcr at --rate over --streams streams for --duration seconds (defaults in settings.ts,
// printed by --help and at the start) while a rule is added or removed every second, through mcr-lab's
// `soak` scenario (memory, descriptors, loss <= 0.01 %, no duplicate). The rate is a flag, never
// whatever results file happens to be latest: a soak states what it soaked.
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { SOAK_DEFAULT_RATE_PPS, type Settings } from '../settings.js';

export async function runSoak(s: Settings, cwd: string): Promise<number> {
  const rate = s.ratePps ?? SOAK_DEFAULT_RATE_PPS;
  const source = s.ratePps === null ? `the default (--rate ${SOAK_DEFAULT_RATE_PPS})` : 'given with --rate';
  const streams = s.streams;
  const lab = await import('@mcr/mcr-lab');
  const clock = startClock();
  const result = makeResult({ ...s, streams }, clock, cwd);
  process.stderr.write(`bench soak: --rate ${rate} (${source}) --streams ${streams} --duration ${s.durationSec} --workers ${s.workers} --size ${s.size}\n`);
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
