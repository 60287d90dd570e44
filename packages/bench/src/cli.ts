#!/usr/bin/env node
// Entry: node dist/cli.js <target> [flags]. Thin: parse, normalise, dispatch.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, reportUsageError } from '@mcr/cli-kit';
import { resolveRelays } from './lab.js';
import { DEFAULT_RELAYS, normalizeSettings, RELAY_TARGETS, RELAYS, TARGETS, UsageError, type RawFlags, type RelayName, type Settings } from './settings.js';

export const HELP = `usage: node dist/cli.js <target> [options]      (or: npx nx run bench:<target> [options])

targets:
  multi-stream   NDR/PDR search per relay on N streams, side by side (default 10 streams, ~2-3 min)
  scaling        throughput vs stream count, 1..--streams (doubling)
  fanout         1 stream -> K outputs, K = 1..--outputs (doubling)
  workers        mcr with 1..--workers workers (doubling); fails on any duplicate
  join-leave     IGMP join and leave delay through the snooping switch (RFC 3918)
  group-capacity largest group count (1..--streams, default 1000) forwarded with zero loss at --rate
                 (default 50000 aggregate), the relays side by side (RFC 3918)
  first-packet   packets lost and delayed at the start of fresh streams, --rounds fresh relays each
                 (default 10 streams, --rate 10000) (RFC 3918)
  latency        added latency (p50/p99/p99.9) and CPU per packet of the relays at 20 kpps, 50 kpps and
                 50 % of each one's NDR, one stream, --repeats interleaved rounds; mcr's default against a fixed
                 300 us window at 150 kpps; mcr beside an iperf3 TCP flow; the latency targets (~10 min)
  micro          tinybench of the native hot path (parse + match + enqueue; 10 and 1000 rules)
  gate           the working tree against the baseline commit, interleaved pairs (exit 1 on regression)
  soak           mcr at --rate for --duration s over --streams streams, a rule added/removed every second
  readme         write the generated blocks of README.md and docs/ (results/readme.json, the code)
                 (--check: compare only)

options:
  --streams N          streams (groups); scaling: the largest count          (default 10; gate 4; latency 1)
  --workers N          mcr workers; workers target: the largest count        (default 1; workers 2)
  --outputs K          fanout: the largest number of outputs                 (default 4)
  --size B             UDP payload bytes, 64..8972                           (default 1000)
  --trial-seconds S    seconds per trial                                     (default 2, latency 3; --long 60)
  --relays LIST        some of ${RELAYS.join(',')}
                       (default ${DEFAULT_RELAYS.join(',')}; kernel: kernel-mfc where the kernel routes
                       multicast, else kernel-tc; direct: a wire in place of a relay, the machine's ceiling)
  --family F           ipv4 or ipv6 streams (multi-stream, scaling, fanout, workers) (default ipv4)
  --max-loss PCT       PDR loss threshold, percent                           (default 0.1)
  --rungs N            trials per relay at most                              (default 8, latency 6; --long 10)
  --floor PPS          lowest aggregate rate searched                        (default 5000)
  --ceiling PPS        highest aggregate rate searched                       (default 600000)
  --no-prime           do not prime the path before counting (not RFC 3918)
  --long               RFC 2544 trial length (60 s) and finer search
  --rounds N           join-leave, first-packet rounds                       (default 5)
  --repeats N          trials at every reported NDR/PDR rate: median, min-max (default 3; latency: rounds, 5)
  --pairs N            gate: interleaved candidate/baseline pairs per rate   (default 8)
  --fixed-rate PPS     gate: rate of the CPU and latency pairs               (default 50000)
  --high-rate PPS      gate: rate of the throughput pairs                    (default 600000)
  --baseline-bin PATH  gate: the baseline build's bin/mcr.js (tools/gate.sh builds it)
  --baseline-commit C  gate: the commit that build was made from (recorded)
  --candidate-bin PATH gate: run this build as the candidate instead of the working tree's
                       (testing the gate itself; announced and recorded)
  --inject-regression PCT  gate: negative control: the candidate burns PCT % of the baseline's
                       relay CPU per packet more (relay config testOnly.injectedWorkNanos); must FAIL
  --tolerance PCT      gate: widen every threshold by PCT points (announced, recorded)
  --update-baseline    gate: name HEAD as the baseline commit in results/baseline.json
  --duration S         soak: seconds of traffic                             (default 600)
  --rate PPS           soak, group-capacity, first-packet: aggregate rate    (150000, 50000, 10000)
  --ndr-from FILE      latency: each relay's NDR from this multi-stream results file (relative to the
                       workspace root) instead of a short search (6 rungs of 1 s trials) in the run
  --no-tcp-noise       latency: skip mcr's CPU per packet beside an iperf3 TCP flow on its input
  --rates LIST         latency: some of 20k,50k,half-ndr,bulk                (default all)
  --out DIR            results directory                                     (default <workspace>/results)
  --check              readme: exit 1 when README.md or docs/ and their sources disagree, write nothing
  --json               print the result JSON on stdout (report on stderr)
  --help               this text

exit status: 0 done, every requested relay measured (gate: pass); 1 failure (gate: regression; a relay
  broken or the lab unavailable); 2 usage error; 3 some requested relays cannot run on this machine
  (each is a row "unavailable: REASON"; the others were measured; mcr-lab doctor says more).
`;

/** Exit status of a run in which some requested relays could not run here (the others were measured). */
export const EXIT_SOME_UNAVAILABLE = 3;

const OPTIONS = {
  streams: { type: 'string' },
  workers: { type: 'string' },
  outputs: { type: 'string' },
  size: { type: 'string' },
  'trial-seconds': { type: 'string' },
  relays: { type: 'string' },
  family: { type: 'string' },
  'max-loss': { type: 'string' },
  rungs: { type: 'string' },
  floor: { type: 'string' },
  ceiling: { type: 'string' },
  'no-prime': { type: 'boolean' },
  long: { type: 'boolean' },
  rounds: { type: 'string' },
  tolerance: { type: 'string' },
  repeats: { type: 'string' },
  pairs: { type: 'string' },
  'fixed-rate': { type: 'string' },
  'high-rate': { type: 'string' },
  'baseline-bin': { type: 'string' },
  'baseline-commit': { type: 'string' },
  'candidate-bin': { type: 'string' },
  'inject-regression': { type: 'string' },
  'update-baseline': { type: 'boolean' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'ndr-from': { type: 'string' },
  'no-tcp-noise': { type: 'boolean' },
  rates: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCli(argv: string[], cwd = process.cwd()): Settings | 'help' {
  const parsed = parseCommandLine(argv, OPTIONS, true);
  if (parsed.values.help) return 'help';
  const [target, ...extra] = parsed.positionals;
  if (!target) throw new UsageError(`target: missing (expected one of ${TARGETS.join(', ')})`);
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  return normalizeSettings(target, parsed.values as RawFlags, cwd);
}

export async function main(argv: string[]): Promise<number> {
  let settings: Settings | 'help';
  try {
    settings = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, 'bench', 'run with --help for usage');
    throw err;
  }
  if (settings === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const cwd = process.cwd();
  if (RELAY_TARGETS.includes(settings.target)) {
    const { relays, unavailable } = await resolveRelays(settings.relays, settings.family);
    settings = { ...settings, relays: relays as RelayName[], unavailable };
    for (const u of unavailable) process.stderr.write(`bench ${settings.target}: ${u.reason}\n`);
  }
  const code = await runTarget(settings, cwd);
  return code === 0 && settings.unavailable.length > 0 ? EXIT_SOME_UNAVAILABLE : code;
}

async function runTarget(settings: Settings, cwd: string): Promise<number> {
  switch (settings.target) {
    case 'micro':
      return (await import('./targets/micro.js')).runMicroTarget(settings, cwd);
    case 'join-leave':
      return (await import('./targets/join-leave.js')).runJoinLeave(settings, cwd);
    case 'gate':
      return (await import('./targets/gate.js')).runGate(settings, cwd);
    case 'group-capacity':
      return (await import('./targets/group-capacity.js')).runGroupCapacity(settings, cwd);
    case 'first-packet':
      return (await import('./targets/first-packet.js')).runFirstPacket(settings, cwd);
    case 'readme':
      return (await import('./targets/readme.js')).runReadme(settings, cwd);
    case 'soak':
      return (await import('./targets/soak.js')).runSoak(settings, cwd);
    case 'latency':
      return (await import('./targets/latency.js')).runLatency(settings, cwd);
    default:
      return (await import('./targets/search-targets.js')).runSearchTarget(settings, cwd);
  }
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
