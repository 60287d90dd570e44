// The lab's figures in the prose of docs/lab.md, the README and docs/architecture.md (the chaos
// scenario's defaults and window length, the committed chaos run's length, exit statuses, the payload
// and stream plan, the bed's defaults) checked against the code and the committed report, so a changed
// default fails here until the page says it. Reads files only: no namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE_EXIT_CODE } from '@mcr/cli-kit';
import { DEFAULT_PAYLOAD, HEADER_SIZE, inputGroup, inputPort, LAB_LINK_MTU, outputPort, SENDER_DEFAULTS, SENDER_PROCESSES } from '@mcr/netns-lab';
import { CHAOS_WINDOW_SECONDS, normaliseBedOptions, normaliseScenarioOptions, SENDER_BOUND_RATIO, type ScenarioReport } from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** A document with every run of white space made one space, so phrases may wrap. */
const doc = (file: string) => read(file).replace(/\s+/g, ' ');

const chaos = normaliseScenarioOptions('chaos', {});
const mcrBed = normaliseBedOptions({ relay: 'mcr', streams: 1 });
/** Groups per third octet of the stream plan: the first stream whose group leaves 239.1.0.x. */
const groupsPerOctet = Array.from({ length: 1000 }, (_, n) => n).find((n) => !inputGroup(n).startsWith('239.1.0.'))!;
/** mcr-send's least rate per sender process (native/mcr_send.cc: `std::max<uint64_t>(N, ...)`). */
const leastPps = Number(/p\.rate = std::max<uint64_t>\((\d+),/.exec(read('packages/netns-lab/native/mcr_send.cc'))?.[1]);
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
  ['docs/architecture.md', `at the start of every UDP payload, ${HEADER_SIZE} bytes`],
  ['docs/architecture.md', `\`--senders N\` (${SENDER_PROCESSES.min}..${SENDER_PROCESSES.max}, default ${SENDER_PROCESSES.default})`],
  ['docs/architecture.md', `each with its share of \`--rate\` in proportion to its streams (at least ${leastPps} pps)`],
  ['docs/architecture.md', `streams: number; // groups 239.1.<n/${groupsPerOctet}>.<n%${groupsPerOctet}+1>, ports ${inputPort(0)}+n; outputs 239.9.x.y, ${outputPort(0)}+n`],
  ['docs/architecture.md', `workers?: number; // mcr only (default ${mcrBed.workers})`],
  ['docs/architecture.md', `({ raw: ${SENDER_DEFAULTS.raw}, senders: ${SENDER_DEFAULTS.senders} }); payloads too big for a ${LAB_LINK_MTU} B frame`],
  ['docs/architecture.md', `size?: number; // payload bytes, default ${DEFAULT_PAYLOAD}`],
  ['docs/architecture.md', `senderBound: boolean; // achieved < ${SENDER_BOUND_RATIO} x offered`],
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
