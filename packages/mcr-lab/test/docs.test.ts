// The lab's figures in docs/lab.md's and the README's prose (the chaos scenario's defaults and window
// length, the committed chaos run's length, exit statuses) checked against the code and the committed
// report, so a changed default fails here until the page says it. Reads files only: no namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE_EXIT_CODE } from '@mcr/cli-kit';
import { CHAOS_WINDOW_SECONDS, normaliseScenarioOptions, type ScenarioReport } from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** A document with every run of white space made one space, so phrases may wrap. */
const doc = (file: string) => read(file).replace(/\s+/g, ' ');

const chaos = normaliseScenarioOptions('chaos', {});
const chaosFile = (JSON.parse(read('results/readme.json')) as { chaos: string }).chaos;
const chaosReport = JSON.parse(read(chaosFile)) as ScenarioReport & { options: { seconds: number } };

/** [document, phrase it must contain, made from the code's value]. */
const STATEMENTS: [string, string][] = [
  ['README.md', `npx mcr-lab run chaos [--seconds ${chaos.seconds}] [--streams ${chaos.streams[0]}]`],
  ['docs/lab.md', `npx mcr-lab run chaos [--seconds ${chaos.seconds}] [--streams ${chaos.streams[0]}]`],
  ['docs/lab.md', `the streams flowing through mcr (${chaos.workers} workers,`],
  ['docs/lab.md', `one fault per window of ${CHAOS_WINDOW_SECONDS.min}-${CHAOS_WINDOW_SECONDS.max} s of traffic`],
  ['docs/lab.md', `The committed ${chaosReport.options.seconds} s run`],
  ['docs/lab.md', `${USAGE_EXIT_CODE} on a usage or setup error`],
];

describe("docs/lab.md and the README state the lab's figures as the code has them", () => {
  it.each(STATEMENTS)('%s says "%s"', (file, phrase) => {
    expect(doc(file)).toContain(phrase);
  });

  it('the committed chaos report is a chaos run', () => {
    expect(chaosReport.scenario).toBe('chaos');
  });

  it('negative control: a changed default is caught', () => {
    expect(doc('docs/lab.md')).not.toContain(`[--seconds ${chaos.seconds + 1}]`);
  });
});
