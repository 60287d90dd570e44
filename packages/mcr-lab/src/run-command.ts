// `mcr-lab run <scenario>`: a scenario against a relay; a table on stdout, the exit status says
// whether every threshold held.
import { writeFile } from 'node:fs/promises';
import { HELP, LabInterrupted, usage, type Command } from '@mcr/netns-lab';
import { closeAllBeds } from './bed/index.js';
import { RELAY_NAMES } from './relays/index.js';
import { BUGS_FOR, INJECTED_BUGS, SCENARIOS, SCENARIO_NAMES, normaliseScenarioOptions, renderReport, type ScenarioInput } from './scenarios/index.js';

const RUN_OPTIONS = `options:
  --relay NAME               relay under test: ${RELAY_NAMES.join(', ')} (default mcr; compare runs mcr, socat and kernel;
                             kernel is kernel-mfc where the kernel routes multicast, else kernel-tc)
  --family ipv4|ipv6         IP version of the streams (default ipv4; ipv6: ff3e::1:<n> -> ff3e::9:<n>)
  --streams N                streams (scaling: a list, default 1,2,5,10)
  --workers N                mcr workers (default 1; duplication 2)
  --fanout-mode hash|cpu|lb|off   mcr PACKET_FANOUT mode (default hash)
  --rate PPS                 aggregate offered rate, 0 = unthrottled (default 10000)
  --count N                  packets per stream (default 2000; churn: enough for ~4 s)
  --size BYTES               UDP payload, 64..8972 (default 1000)
  --max-loss PCT             highest loss per stream (default 1)
  --max-dup N                highest duplicates per stream (default 0)
  --inject-bug NAME          negative control: ${INJECTED_BUGS.join(' | ')}
  --duration SEC             soak: seconds of traffic (default 600)
  --seconds SEC              chaos: seconds of faults (default 120)
  --seed N                   chaos: the fault schedule's seed (default: drawn and printed)
  --json FILE                also write the report as JSON
scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(13)} ${SCENARIOS[n].summary}${BUGS_FOR[n].length ? ` [inject-bug: ${BUGS_FOR[n].join(', ')}]` : ''}`).join('\n')}
exit status: 0 every threshold holds, 1 a threshold is violated, 2 usage or setup error`;

export const runCommand: Command = {
  words: ['run'],
  usage: `mcr-lab run <${SCENARIO_NAMES.join('|')}> [options]\n${RUN_OPTIONS}`,
  summary: 'run a scenario against a relay; prints a table, exits 1 when a threshold is violated',
  options: {
    ...HELP,
    relay: { type: 'string' },
    family: { type: 'string' },
    streams: { type: 'string' },
    workers: { type: 'string' },
    'fanout-mode': { type: 'string' },
    rate: { type: 'string' },
    count: { type: 'string' },
    size: { type: 'string' },
    'max-loss': { type: 'string' },
    'max-dup': { type: 'string' },
    'inject-bug': { type: 'string' },
    duration: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'string' },
  },
  allowPositionals: true,
  async run(values, positionals, io) {
    const [scenario, ...extra] = positionals;
    if (!scenario) throw usage('missing <scenario>', this);
    if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, this);
    const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const input: Record<string, unknown> = {
      relay: str('relay'),
      family: str('family'),
      streams: str('streams'),
      workers: str('workers'),
      fanoutMode: str('fanout-mode'),
      rate: str('rate'),
      count: str('count'),
      size: str('size'),
      maxLoss: str('max-loss'),
      maxDup: str('max-dup'),
      injectBug: str('inject-bug'),
      duration: str('duration'),
      seconds: str('seconds'),
      seed: str('seed'),
      json: str('json'),
      onProgress: (line: string) => io.err(`mcr-lab: ${line}`),
    };
    for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
    // A ScenarioUsageError is a UsageError: main() prints it with this command's help.
    const options = normaliseScenarioOptions(scenario, input as ScenarioInput);
    // Ctrl-C / SIGTERM: tear the beds down (relays, namespaces); the scenario then fails on its
    // missing lab and run() returns 130. A backstop exits if something hangs.
    let interrupted = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (interrupted) return;
      interrupted = true;
      io.err(`mcr-lab: ${sig}: tearing down`);
      void closeAllBeds();
      setTimeout(() => process.exit(130), 20_000).unref();
    };
    // `on`, not `once`: execa's signal-exit re-raises a signal when it is the only listener left.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const report = await SCENARIOS[options.scenario].run(options);
      io.out(renderReport(report));
      if (options.json) await writeFile(options.json, JSON.stringify(report, null, 2) + '\n');
      return report.passed ? 0 : 1;
    } catch (err) {
      if (interrupted || err instanceof LabInterrupted) {
        await closeAllBeds();
        io.err(`mcr-lab: ${scenario}: interrupted`);
        return 130;
      }
      io.err(`mcr-lab: ${scenario}: setup failed: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

