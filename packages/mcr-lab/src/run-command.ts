// `mcr-lab run <scenario>`: a scenario against a relay; a table on stdout, the exit status says
// whether every threshold held.
import { writeFile } from 'node:fs/promises';
import { LabInterrupted, UsageError, type Command } from '@mcr/netns-lab';
import { closeAllBeds } from './bed/index.js';
import {
  BUGS_FOR,
  SCENARIO_FLAGS,
  SCENARIO_INPUT_KEY,
  SCENARIO_NAMES,
  SCENARIOS,
  normaliseScenarioOptions,
  renderReport,
  scenarioFlagsForHelp,
  type ScenarioInput,
  type ScenarioName,
} from './scenarios/index.js';

const SCENARIO_LIST = `scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(13)} ${SCENARIOS[n].summary}${BUGS_FOR[n].length ? ` [inject-bug: ${BUGS_FOR[n].join(', ')}]` : ''}`).join('\n')}`;
const EXIT_STATUS = 'exit status: 0 every threshold holds, 1 a threshold is violated, 2 usage or setup error';

const isScenario = (name: string | undefined): name is ScenarioName => (SCENARIO_NAMES as readonly (string | undefined)[]).includes(name);

export const runCommand: Command = {
  words: ['run'],
  args: `<${SCENARIO_NAMES.join('|')}>`,
  summary: 'run a scenario against a relay; prints a table, exits 1 when a threshold is violated',
  flags: SCENARIO_FLAGS,
  allowPositionals: true,
  // `run <scenario> --help`: that scenario's flags and defaults; `run --help`: every scenario's.
  help([scenario]) {
    if (!isScenario(scenario)) return { flags: scenarioFlagsForHelp(), after: `${SCENARIO_LIST}\n${EXIT_STATUS}` };
    return { flags: scenarioFlagsForHelp(scenario), after: `scenario:\n  ${scenario}: ${SCENARIOS[scenario].summary}\n${EXIT_STATUS}` };
  },
  async run(values, positionals, io) {
    const [scenario, ...extra] = positionals;
    if (!scenario) throw new UsageError('missing <scenario>');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const input: Record<string, unknown> = { onProgress: (line: string) => io.err(`mcr-lab: ${line}`) };
    for (const [flag, key] of Object.entries(SCENARIO_INPUT_KEY)) if (typeof values[flag] === 'string') input[key] = values[flag];
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

