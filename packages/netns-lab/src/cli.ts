// mcr-lab: thin CLI over the library. Commands live in one table (COMMANDS) keyed by their words;
// `mcr-lab run <scenario>` is meant to be added there as another entry.
import { integerFlag, parseCommandLine, reportUsageError, UsageError, type FlagOptions } from '@mcr/cli-kit';
import { pathToFileURL } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { closeAllBeds } from './bed/index.js';
import { ASSUME_NO_MROUTE_ENV, doctorReport, renderDoctor } from './doctor/index.js';
import { listNamespaces } from './netns/index.js';
import { RELAY_NAMES } from './relays/index.js';
import {
  BUGS_FOR,
  INJECTED_BUGS,
  SCENARIOS,
  SCENARIO_NAMES,
  normaliseScenarioOptions,
  renderReport,
  type ScenarioInput,
} from './scenarios/index.js';
import {
  BUILDERS,
  PREFIX_FAMILY,
  attach,
  build,
  clean,
  listEntries,
  readEntry,
  uniquePrefix,
  up,
  LabInterrupted,
  type TopologyKind,
} from './topology/index.js';

export { UsageError };

/** A usage error of `command`: printed with that command's help, exit status 2. */
function usage(message: string, command: Command): UsageError {
  return new UsageError(message, { help: helpOf(command) });
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  /** Words that select the command, e.g. ['topo', 'up']. */
  words: string[];
  usage: string;
  summary: string;
  options: FlagOptions;
  allowPositionals: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[], io: Io): Promise<number>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A count flag; its upper bound is the topology builder's to check (its RangeError names the option). */
function positiveInt(flag: string, value: string | boolean | undefined): number | undefined {
  return integerFlag(typeof value === 'string' ? value : undefined, `--${flag}`, 1, Number.MAX_SAFE_INTEGER);
}

const topoUp: Command = {
  words: ['topo', 'up'],
  usage: `mcr-lab topo up <${Object.keys(BUILDERS).join('|')}> [--prefix P] [--outputs K] [--sources M]`,
  summary: 'create a topology in network namespaces and print it as JSON',
  options: { ...HELP, prefix: { type: 'string' }, outputs: { type: 'string' }, sources: { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals, io) {
    const [kind, ...extra] = positionals;
    if (!kind) throw usage('missing topology kind', this);
    if (!(kind in BUILDERS)) throw usage(`unknown topology "${kind}" (expected one of ${Object.keys(BUILDERS).join(', ')})`, this);
    if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, this);
    if (values.outputs !== undefined && kind !== 'fanout') throw usage('--outputs applies to fanout only', this);
    if (values.sources !== undefined && kind !== 'converge') throw usage('--sources applies to converge only', this);
    const prefix = typeof values.prefix === 'string' ? values.prefix : uniquePrefix();
    const outputs = positiveInt('outputs', values.outputs);
    const sources = positiveInt('sources', values.sources);
    let topo;
    try {
      topo = build(kind as TopologyKind, { prefix, ...(outputs ? { outputs } : {}), ...(sources ? { sources } : {}) });
    } catch (err) {
      if (err instanceof RangeError) throw usage(err.message.replace(/^option "(\w+)"/, '--$1').replace(/^prefix/, '--prefix'), this);
      throw err;
    }
    if ((await listNamespaces()).some((n) => n.startsWith(`${prefix}-`))) {
      throw usage(`--prefix ${prefix} is already in use (mcr-lab topo down ${prefix})`, this);
    }
    await up(topo);
    io.out(JSON.stringify(topo, null, 2));
    return 0;
  },
};

const topoDown: Command = {
  words: ['topo', 'down'],
  usage: 'mcr-lab topo down <prefix> | --all',
  summary: 'remove a lab (its namespaces and the processes inside them), or every lab with --all',
  options: { ...HELP, all: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals, io) {
    if (values.all) {
      if (positionals.length) throw usage('--all takes no prefix', this);
      for (const ns of await clean()) io.out(`removed ${ns}`);
      return 0;
    }
    const [prefix, ...extra] = positionals;
    if (!prefix) throw usage('missing <prefix> (or --all)', this);
    if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, this);
    if (!prefix.startsWith(PREFIX_FAMILY)) throw usage(`<prefix> must start with "${PREFIX_FAMILY}", received "${prefix}"`, this);
    const entry = await readEntry(prefix);
    // The registry knows the order; without it, clean by prefix.
    if (entry) await attach(entry.topology).down();
    const rest = await clean(prefix);
    if (!entry && rest.length === 0) {
      io.err(`no lab with prefix ${prefix}`);
      return 1;
    }
    io.out(`removed lab ${prefix}`);
    return 0;
  },
};

const topoList: Command = {
  words: ['topo', 'list'],
  usage: 'mcr-lab topo list [--json]',
  summary: 'list live labs (registry in /run/mcr-lab, checked against ip netns list)',
  options: { ...HELP, json: { type: 'boolean' } },
  allowPositionals: false,
  async run(values, _p, io) {
    const live = new Set(await listNamespaces());
    const entries = (await listEntries()).map((e) => ({
      prefix: e.prefix,
      kind: e.kind,
      createdAt: e.createdAt,
      namespaces: e.topology.namespaces.map((n) => n.name),
      present: e.topology.namespaces.filter((n) => live.has(n.name)).length,
    }));
    // Namespaces of our family that no registry entry explains (e.g. a crash): report them too.
    const known = new Set(entries.flatMap((e) => e.namespaces));
    const orphans = [...live].filter((n) => n.startsWith(PREFIX_FAMILY) && !known.has(n));
    if (values.json) io.out(JSON.stringify({ labs: entries, orphans }, null, 2));
    else {
      for (const e of entries) io.out(`${e.prefix}\t${e.kind}\t${e.present}/${e.namespaces.length} namespaces\t${e.createdAt}`);
      for (const o of orphans) io.out(`orphan namespace ${o} (mcr-lab clean)`);
      if (!entries.length && !orphans.length) io.out('no labs');
    }
    return 0;
  },
};

const cleanCmd: Command = {
  words: ['clean'],
  usage: 'mcr-lab clean',
  summary: `remove every namespace whose name starts with "${PREFIX_FAMILY}" (killing its processes by pid) and the registry`,
  options: { ...HELP },
  allowPositionals: false,
  async run(_v, _p, io) {
    const removed = await clean();
    for (const ns of removed) io.out(`removed ${ns}`);
    if (!removed.length) io.out('nothing to clean');
    return 0;
  },
};

const doctorCmd: Command = {
  words: ['doctor'],
  usage: 'mcr-lab doctor [--json]',
  summary:
    'probe what this kernel and these tools can do (multicast routing, bridge snooping, tc, netem, 8021q, fanout flags, ' +
    `BPF JIT, tool versions, cores, timer granularity), then say which relays and scenarios can run here and why not ` +
    `(test-only switch: ${ASSUME_NO_MROUTE_ENV}=1 behaves as if the kernel had no multicast routing)`,
  options: { ...HELP, json: { type: 'boolean' } },
  allowPositionals: false,
  async run(values, _p, io) {
    const report = await doctorReport();
    io.out(values.json ? JSON.stringify(report, null, 2) : renderDoctor(report).trimEnd());
    return 0;
  },
};

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

const runCmd: Command = {
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

/** The command table. */
export const COMMANDS: Command[] = [topoUp, topoDown, topoList, cleanCmd, runCmd, doctorCmd];

function helpOf(c: Command): string {
  return `usage: ${c.usage}\n  ${c.summary}`;
}

function topHelp(): string {
  return ['usage: mcr-lab <command> [options]   (--help on any command)', '', ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const command = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort((a, b) => b.words.length - a.words.length)[0];
  try {
    if (!command) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
        io.out(topHelp());
        return argv.length === 0 ? 2 : 0;
      }
      const group = COMMANDS.filter((c) => c.words[0] === argv[0]);
      if (group.length && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
        io.out(group.map(helpOf).join('\n'));
        return argv.length === 1 ? 2 : 0;
      }
      throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"`);
    }
    const parsed = parseCommandLine(argv.slice(command.words.length), command.options, command.allowPositionals);
    if (parsed.values.help) {
      io.out(helpOf(command));
      return 0;
    }
    return await command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError(err, 'mcr-lab', command ? helpOf(command) : topHelp(), (text) => io.err(text.replace(/\n$/, '')));
    if (err instanceof LabInterrupted) {
      io.err(`mcr-lab: ${err.message}`);
      return 130;
    }
    io.err(`mcr-lab: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

// Run when executed directly (bin/mcr-lab.js imports this module and calls main itself).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
