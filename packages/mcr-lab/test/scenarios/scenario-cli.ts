// What the scenario tests share: `mcr-lab` run in-process with its output captured, and a pass
// check that explains a failure with the rendered report.
import { expect } from 'vitest';
import { main } from '../../src/cli.js';
import { renderReport, type ScenarioReport } from '../../src/scenarios/index.js';

export async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Explains a failure with the rendered report. */
export function expectPassed(r: ScenarioReport): void {
  expect(r.passed, renderReport(r)).toBe(true);
  expect(r.violations).toEqual([]);
}
