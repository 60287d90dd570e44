#!/usr/bin/env node
// Entry: node dist/cli.js <target> [flags]. Thin: parse, normalise, dispatch.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { optionsHelp, parseArgsOptions, parseCommandLine, reportUsageError } from '@mcr/cli-kit';
import { resolveRelays } from './lab.js';
import { BENCH_FLAGS, benchFlagsForHelp, normalizeSettings, RELAY_TARGETS, TARGETS, UsageError, type RawFlags, type RelayName, type Settings } from './settings.js';

export const HELP = `usage: node dist/cli.js <target> [options]      (or: npx nx run bench:<target> [options])

targets:
  multi-stream   NDR/PDR search per relay on N streams, side by side (~2-3 min)
  scaling        throughput vs stream count, 1..--streams (doubling)
  fanout         1 stream -> K outputs, K = 1..--outputs (doubling)
  workers        mcr with 1..--workers workers (doubling); fails on any duplicate
  join-leave     RFC 3918 join and leave delay of mcr forwarding to listeners, IPv4 (IGMP) and IPv6
                 (MLD), --rounds each; igmpproxy beside it where the kernel routes multicast
  group-capacity largest group count (1..--streams) forwarded with zero loss at --rate, the relays
                 side by side (RFC 3918)
  first-packet   packets lost and delayed at the start of fresh streams, --rounds fresh relays each
                 (RFC 3918)
  latency        added latency (p50/p99/p99.9) and CPU per packet of the relays at 20 kpps, 50 kpps and
                 50 % of each one's NDR, one stream, --repeats interleaved rounds; mcr's default against a fixed
                 300 us window at 150 kpps; mcr beside an iperf3 TCP flow; the latency targets (~10 min)
  micro          tinybench of the native hot path (parse + match + enqueue; 10 and 1000 rules)
  gate           the working tree against the baseline commit, interleaved pairs (exit 1 on regression)
  soak           mcr at --rate for --duration s over --streams streams, a rule added/removed every second
  readme         write the generated blocks of README.md and docs/ (results/readme.json, the code)
                 (--check: compare only)

options:
${optionsHelp(benchFlagsForHelp())}

exit status: 0 done, every requested relay measured (gate: pass); 1 failure (gate: regression; a relay
  broken or the lab unavailable); 2 usage error; 3 some requested relays cannot run on this machine
  (each is a row "unavailable: REASON"; the others were measured; mcr-lab doctor says more).
`;

/** Exit status of a run in which some requested relays could not run here (the others were measured). */
export const EXIT_SOME_UNAVAILABLE = 3;

const OPTIONS = parseArgsOptions({ ...BENCH_FLAGS, help: { short: 'h' } });

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
