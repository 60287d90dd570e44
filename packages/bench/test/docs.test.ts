// The bench's figures in the README's and docs/bench.md's prose (defaults, rates, limits, repeat
// counts, the gate's rule, and what the committed runs show) checked against the code and the
// committed results files, so a changed default or a new run fails here until the page says it.
// (The tables are generated instead: readme.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BULK_RATE_PPS,
  CONSISTENCY,
  DEFAULT_RELAYS,
  EXIT_SOME_UNAVAILABLE,
  doublings,
  FIXED_RATES_PPS,
  FIXED_WINDOW_MICROS,
  LATENCY_TARGETS,
  NDR_FRACTION,
  normalizeSettings,
  parseResult,
  SOAK_DEFAULT_RATE_PPS,
  TCP_NOISE_MIN_BITS_PER_SECOND,
  TCP_NOISE_RATE_PPS,
  type BenchResult,
} from '../src/index.js';
import { MANIFEST, type Manifest } from '../src/readme/readme.js';
import { workspaceRoot } from '../src/settings.js';
import { USAGE_EXIT_CODE } from '@mcr/cli-kit';
import { SOAK_RULE_CHANGE_EVERY_MS } from '@mcr/mcr-lab';
import { SOCAT_BUFFER_BYTES } from '@mcr/netns-lab';

const root = workspaceRoot(process.cwd());
const read = (file: string) => readFileSync(join(root, file), 'utf8');
/** A document with every run of white space made one space, so phrases may wrap. */
const doc = (file: string) => read(file).replace(/\s+/g, ' ');
const settings = (target: string, flags: Record<string, boolean> = {}) => normalizeSettings(target, flags, root);
const kpps = (pps: number) => `${pps / 1000}`;
const rungPps: Record<string, number> = { '20k': FIXED_RATES_PPS[0], '50k': FIXED_RATES_PPS[1] };
const WORDS: Record<number, string> = { 2: 'two', 10: 'ten' };
const word = (n: number) => WORDS[n] ?? String(n);

/** A default of tools/gate-proof.sh: `name=${N:-VALUE}`. */
function gateProofDefault(name: string): number {
  const m = new RegExp(`^${name}=\\$\\{\\d:-(\\d+)\\}$`, 'm').exec(read('tools/gate-proof.sh'));
  if (!m) throw new Error(`tools/gate-proof.sh: no default for ${name}`);
  return Number(m[1]);
}

const manifest = JSON.parse(read(MANIFEST)) as Manifest;
const result = (file: string): BenchResult => parseResult(read(file), file);
const searchRuns = [...new Set(manifest.rows.filter((r) => r.kind !== 'soak').map((r) => r.file))].map(result);
const soakRow = manifest.rows.find((r) => r.kind === 'soak')!;
const latencyFile = manifest.sections?.find((s) => s.name === 'latency')?.file;

const multiStream = settings('multi-stream');
const soak = settings('soak');
const groupCapacity = settings('group-capacity');
const latency = settings('latency');
const proofRuns = gateProofDefault('n');
const injectedPct = gateProofDefault('pct');

/** The bench's command summary, in the README and in docs/bench.md alike. */
const COMMANDS: string[] = [
  `npx nx run bench:multi-stream --streams=${multiStream.streams} #`,
  `most groups forwarded with zero loss (${doublings(groupCapacity.streams)[0]}..${groupCapacity.streams})`,
  `latency and CPU at ${FIXED_RATES_PPS.map(kpps).join('/')} kpps and ${NDR_FRACTION === 0.5 ? 'half' : `${NDR_FRACTION * 100} % of`} the NDR`,
  `npx nx run bench:soak --rate=${SOAK_DEFAULT_RATE_PPS} --streams=${soak.streams} # ${soak.durationSec / 60} min, a rule change every ${SOAK_RULE_CHANGE_EVERY_MS === 1000 ? 'second' : `${SOAK_RULE_CHANGE_EVERY_MS} ms`} (defaults shown)`,
  `./tools/gate.sh --inject-regression ${injectedPct} #`,
  `./tools/gate-proof.sh ${proofRuns} # ${proofRuns} + ${proofRuns} gate runs`,
];

/** Which rates a latency target holds at, as the page says them ("20 and 50"). */
const targetsOf = (metric: string, num: string, den?: string) => LATENCY_TARGETS.filter((t) => t.metric === metric && t.num === num && (den === undefined || t.den === den));
const targetRates = (metric: string, num = 'mcr', den?: string) => targetsOf(metric, num, den).map((t) => kpps(rungPps[t.rung]!)).join(' and ');
const targetLimit = (metric: string, num = 'mcr', den?: string) => {
  const limits = [...new Set(targetsOf(metric, num, den).map((t) => t.limit))];
  expect(limits).toHaveLength(1);
  return limits[0]!;
};

const BENCH_MD: string[] = [
  `(RFC 2544 ${settings('multi-stream', { long: true }).trialSeconds} s trials)`,
  `with loss <= ${multiStream.maxLossPct} % (PDR)`,
  `until it has ${multiStream.repeats} trials (\`--repeats\`)`,
  `(\`--relays\`, default \`${DEFAULT_RELAYS.join(',')}\`)`,
  `in at least ${CONSISTENCY * 100} % of the pairs`,
  `\`--inject-regression ${injectedPct}\` makes the candidate ${injectedPct} % more expensive per packet`,
  `Tuned socat (${SOCAT_BUFFER_BYTES / 1024 / 1024} MiB buffers, quiet)`,
  `one ${latency.size} B stream on the chain at ${FIXED_RATES_PPS.map((r) => `${kpps(r)} kpps`).join(', ')} and ${NDR_FRACTION * 100} % of each relay's own NDR`,
  `\`--repeats\` (${latency.repeats}) interleaved rounds of \`--trial-seconds\` (${latency.trialSeconds}) trials`,
  `(p50 <= ${targetLimit('p50Us')}x and p99 <= ${targetLimit('p99Us')}x the kernel's at ${targetRates('p50Us')} kpps; ` +
    `mcr's relay CPU per packet <= ${targetLimit('relayCpuPerPacketUs')}x socat's at ${targetRates('relayCpuPerPacketUs')} kpps; ` +
    `for mcr-tc, the tc engine: p50 <= ${targetLimit('p50Us', 'mcr-tc')}x and p99 <= ${targetLimit('p99Us', 'mcr-tc')}x the kernel's at ${targetRates('p50Us', 'mcr-tc')} kpps, ` +
    `machine CPU per packet <= ${targetLimit('machineCpuPerPacketUs', 'mcr-tc', 'kernel')}x the kernel's and <= ${targetLimit('machineCpuPerPacketUs', 'mcr-tc', 'mcr')}x mcr's at ${targetRates('machineCpuPerPacketUs', 'mcr-tc', 'mcr')} kpps)`,
  `It also runs mcr at ${kpps(BULK_RATE_PPS)} kpps with its default and with a fixed ${FIXED_WINDOW_MICROS} us window (\`coalesceMicros: ${FIXED_WINDOW_MICROS}\``,
  `${USAGE_EXIT_CODE} usage, ${EXIT_SOME_UNAVAILABLE} some requested relays cannot run here`,
  `mcr at ${kpps(TCP_NOISE_RATE_PPS)} kpps with and without an iperf3 TCP flow (>= ${TCP_NOISE_MIN_BITS_PER_SECOND / 1e9} Gbit/s)`,
];

describe("the bench's figures in README.md and docs/bench.md are the code's", () => {
  it.each(COMMANDS.flatMap((phrase) => [['README.md', phrase], ['docs/bench.md', phrase]]))('%s says "%s"', (file, phrase) => {
    expect(doc(file)).toContain(phrase.replace(/\s+/g, ' '));
  });

  it('the README\'s quick start benchmarks the default number of streams', () => {
    expect(doc('README.md')).toContain(`./tools/setup.sh && npx nx run bench:multi-stream --streams=${multiStream.streams} ./tools/setup.sh`);
    expect(doc('README.md')).toContain(`The first line benchmarks ${multiStream.streams} streams`);
  });

  it.each(BENCH_MD)('docs/bench.md says "%s"', (phrase) => {
    expect(doc('docs/bench.md')).toContain(phrase);
  });

  it('the latency targets the page states are all the targets there are', () => {
    const at = (name: string, metric: string, rates: string) => rates.split(' and ').map((r) => `${name}:${metric}@${r}`);
    const stated = [
      ...['p50Us', 'p99Us'].flatMap((m) => at('mcr/kernel', m, targetRates(m))),
      ...at('mcr/socat', 'relayCpuPerPacketUs', targetRates('relayCpuPerPacketUs')),
      ...['p50Us', 'p99Us'].flatMap((m) => at('mcr-tc/kernel', m, targetRates('p50Us', 'mcr-tc'))),
      ...at('mcr-tc/kernel', 'machineCpuPerPacketUs', targetRates('machineCpuPerPacketUs', 'mcr-tc', 'kernel')),
      ...at('mcr-tc/mcr', 'machineCpuPerPacketUs', targetRates('machineCpuPerPacketUs', 'mcr-tc', 'mcr')),
    ];
    expect(stated.sort()).toEqual(LATENCY_TARGETS.map((t) => `${t.num}/${t.den}:${t.metric}@${kpps(rungPps[t.rung]!)}`).sort());
  });

  it('docs/architecture.md states the gate\'s rule and the bench\'s default relays as the code has them', () => {
    expect(doc('docs/architecture.md')).toContain(`at least ${CONSISTENCY * 100} % of the pairs are worse`);
    expect(doc('docs/architecture.md')).toContain(`The bench opens one bed per relay (default ${DEFAULT_RELAYS.join(', ')})`);
  });

  it('negative control: a changed default is caught', () => {
    expect(doc('docs/bench.md')).not.toContain(`until it has ${multiStream.repeats + 1} trials (\`--repeats\`)`);
  });
});

describe('what the prose says of the committed runs is what their files hold', () => {
  it('the README\'s heading names the machine and payload of every run in its table', () => {
    const cores = new Set(searchRuns.map((r) => r.environment.cpuCount));
    const sizes = new Set(searchRuns.map((r) => r.settings.size));
    expect([cores.size, sizes.size]).toEqual([1, 1]);
    expect(doc('README.md')).toContain(`## Measured on the reference machine (${[...cores][0]} cores, ${[...sizes][0]} B payloads, chain topology, quiet)`);
  });

  it('docs/bench.md names the day and kernel of the multi-stream runs', () => {
    const days = new Set(searchRuns.map((r) => r.startedAt.slice(0, 10)));
    expect(days.size).toBe(1);
    for (const r of searchRuns) {
      expect(r.environment.machine?.multicastRouting).toEqual({ ipv4: false, ipv6: false });
      const relays = r.points.flatMap((p) => p.relays.map((x) => x.relay));
      expect(relays).toContain('kernel-tc');
    }
    expect(doc('docs/bench.md')).toContain(`The runs of ${[...days][0]} ran on a kernel without multicast routing (the kernel column is the tc mirror`);
  });

  it('docs/bench.md says how many socat processes shared how many cores in the 10-stream run', () => {
    const run = searchRuns.find((r) => r.settings.family === 'ipv4' && r.settings.streams === multiStream.streams)!;
    expect(doc('docs/bench.md')).toContain(`${word(run.settings.streams)} socat processes take the ${word(run.environment.cpuCount)} cores`);
  });

  it("the soak row's label states the soak's length", () => {
    const run = result(soakRow.file);
    expect(soakRow.label).toContain(`${run.soak!.durationSec / 60}-minute soak, a rule change every second`);
    expect(SOAK_RULE_CHANGE_EVERY_MS).toBe(1000);
  });

  it("docs/bench.md's reading of the latency run holds in its file", () => {
    expect(latencyFile).toBeTruthy();
    const run = result(latencyFile!);
    const l = run.latency!;
    const fifty = `${kpps(FIXED_RATES_PPS[1])} kpps`;
    const socat = l.cells.find((c) => c.rung === '50k' && c.subject === 'socat')!;
    expect(socat.stats!.lossPct.median).toBeLessThanOrEqual(run.settings.maxLossPct);
    expect(doc('docs/bench.md')).toContain(`socat holds ${fifty} of one stream on this machine`);
    const p99 = l.ratios.find((r) => r.rung === '50k' && r.name === 'mcr/kernel' && r.metric === 'p99Us')!;
    expect(p99.value).toBeGreaterThan(1);
    expect(doc('docs/bench.md')).toContain(`mcr's p99 at ${fifty} is above the kernel's`);
    const cpu = l.targets.find((t) => t.metric === 'relayCpuPerPacketUs')!;
    expect(cpu.met).toBe(false);
    expect(doc('docs/bench.md')).toContain('the CPU target is not met against a socat that keeps up');
    const tcHalf = l.targets.find((t) => t.name === 'mcr-tc/mcr' && t.metric === 'machineCpuPerPacketUs')!;
    expect(tcHalf.met).toBe(false);
    expect(doc('docs/bench.md')).toContain("mcr-tc's machine CPU per packet is not half of mcr's");
    expect(doc('docs/bench.md')).toContain(`sharing ${word(run.environment.cpuCount)} cores`);
  });
});
