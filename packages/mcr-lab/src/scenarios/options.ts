// Scenario options: one normalise -> default -> validate step shared by the CLI and the TS API. Each
// option's type and range is the zod schema's (numbers as numbers or their text, so the CLI's strings
// and a TypeScript caller's numbers go through the same checks); what depends on several options
// (implied relays, negative controls, families) follows it. Errors are ScenarioUsageError (the CLI
// exits 2) naming the option as its flag, the expectation and the value.
import { z } from 'zod';
import { choiceValue, integerValue, numberValue, UsageError, usageErrorFrom } from '@mcr/cli-kit';
import { DEFAULTS, FANOUT_MODES, type FanoutMode } from '@mcr/relay';
import { RELAY_NAMES, type RelayName } from '../relays/index.js';
import { FAMILIES, MAX_PAYLOAD, MAX_STREAMS, MIN_PAYLOAD, type AddressFamily } from '@mcr/netns-lab';

export type { FanoutMode };

export const SCENARIO_NAMES = ['multi-stream', 'scaling', 'duplication', 'igmp', 'snooping', 'churn', 'compare', 'soak', 'loop', 'chaos'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const INJECTED_BUGS = ['fanout-off', 'no-igmp', 'socat-shared-port', 'no-loop-guard', 'no-restart', 'forget-state'] as const;
export type InjectedBug = (typeof INJECTED_BUGS)[number];

/** What callers pass (CLI flags map 1:1: --relay, --streams, --workers, --fanout-mode, ...). */
export interface ScenarioInput {
  relay?: RelayName;
  /** IP version of the streams: ipv4 (default) or ipv6. */
  family?: AddressFamily;
  /** Number of streams; scaling: a list (or "1,2,5,10"). */
  streams?: number | number[] | string;
  workers?: number;
  fanoutMode?: FanoutMode;
  /** Aggregate offered pps (0 = unthrottled). */
  rate?: number;
  /** Packets per stream. */
  count?: number;
  size?: number;
  /** Highest loss per stream, percent. */
  maxLoss?: number;
  /** Highest duplicates per stream. */
  maxDup?: number;
  injectBug?: InjectedBug;
  /** soak: how long to run, seconds (default 600). */
  duration?: number | string;
  /** chaos: how long to inject faults, seconds (default 120). */
  seconds?: number | string;
  /** chaos: the seed of the fault schedule (default: drawn, and printed). */
  seed?: number | string;
  /** Write the report as JSON here (the CLI does it; runScenario ignores it). */
  json?: string;
  /** Progress lines for long runs (the CLI prints them on stderr). */
  onProgress?: (line: string) => void;
}

export interface ScenarioOptions {
  scenario: ScenarioName;
  relay: RelayName;
  family: AddressFamily;
  /** One entry for every scenario but scaling. */
  streams: number[];
  workers: number;
  fanoutMode: FanoutMode;
  rate: number;
  count: number;
  /** True when --count was given (churn lengthens the default count to last ~4 s). */
  countGiven: boolean;
  /** soak only: seconds of traffic. */
  durationSec: number;
  /** chaos only: seconds of faults, and the schedule's seed. */
  seconds: number;
  seed: number;
  size: number;
  maxLoss: number;
  maxDup: number;
  injectBug: InjectedBug | undefined;
  json: string | undefined;
  onProgress: (line: string) => void;
}

/** A usage error of a scenario's options: the CLI prints it with `mcr-lab run`'s help and exits 2. */
export class ScenarioUsageError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioUsageError';
  }
}

const DEFAULT_STREAMS: Record<ScenarioName, number[]> = {
  'multi-stream': [4],
  scaling: [1, 2, 5, 10],
  duplication: [16], // enough flows that hash fanout puts some on every worker
  igmp: [4],
  snooping: [30], // the bar for IPv6: 30 groups behind the MLD-snooping bridge
  churn: [4],
  compare: [4],
  soak: [4],
  loop: [1],
  chaos: [10],
};

/** Which negative controls each scenario accepts. */
export const BUGS_FOR: Record<ScenarioName, readonly InjectedBug[]> = {
  'multi-stream': ['fanout-off', 'socat-shared-port'],
  scaling: ['fanout-off', 'socat-shared-port'],
  duplication: ['fanout-off'],
  igmp: ['no-igmp'],
  snooping: ['no-igmp'],
  churn: ['fanout-off'],
  compare: [],
  soak: ['fanout-off'],
  loop: ['no-loop-guard'],
  chaos: ['no-restart', 'forget-state'],
};

/** Scenarios that drive mcr's control socket: mcr only. */
const MCR_ONLY: readonly ScenarioName[] = ['duplication', 'igmp', 'churn', 'soak', 'loop', 'chaos'];


function fail(msg: string): never {
  throw new ScenarioUsageError(msg);
}

const streamCount = integerValue(1, MAX_STREAMS);

/** Each option, keyed as ScenarioInput names it (the CLI's flag in camel case). */
const scenarioInputSchema = z.strictObject({
  relay: choiceValue(RELAY_NAMES).optional(),
  family: choiceValue(FAMILIES).optional(),
  // One count, a list, or the CLI's "1,2,5,10".
  streams: z
    .union([streamCount, z.array(streamCount), z.string().transform((list): (string | number)[] => list.split(',').map((n) => n.trim())).pipe(z.array(streamCount))], {
      error: (issue) => `must be a stream count 1..${MAX_STREAMS} or a list of them, got ${JSON.stringify(issue.input)}`,
    })
    .optional(),
  workers: integerValue(1, DEFAULTS.maxWorkers).optional(),
  fanoutMode: choiceValue(FANOUT_MODES).optional(),
  rate: integerValue(0, 10_000_000).optional(),
  count: integerValue(1, 100_000_000).optional(),
  size: integerValue(MIN_PAYLOAD, MAX_PAYLOAD).optional(),
  maxLoss: numberValue(0, 100).optional(),
  maxDup: integerValue(0, Number.MAX_SAFE_INTEGER).optional(),
  injectBug: choiceValue(INJECTED_BUGS).optional(),
  duration: numberValue(1, 7 * 86400).optional(),
  seconds: numberValue(10, 7 * 86400).optional(),
  seed: integerValue(0, 2 ** 31 - 1).optional(),
  json: z.string().optional(),
  onProgress: z.custom<(line: string) => void>((f) => typeof f === 'function', { error: 'must be a function' }).optional(),
});

export function normaliseScenarioOptions(scenario: string, raw: ScenarioInput = {}): ScenarioOptions {
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) fail(`unknown scenario "${scenario}" (expected one of ${SCENARIO_NAMES.join(', ')})`);
  const name = scenario as ScenarioName;
  const parsed = scenarioInputSchema.safeParse(raw);
  if (!parsed.success) fail(usageErrorFrom(parsed.error.issues).message);
  const input = parsed.data;
  const bug = input.injectBug;
  if (bug !== undefined && !BUGS_FOR[name].includes(bug)) fail(`--inject-bug ${bug} does not apply to ${name} (it accepts: ${BUGS_FOR[name].join(', ') || 'none'})`);
  // The relay: an injected bug implies one (snooping's no-igmp applies to every relay); compare runs all three.
  const implied: RelayName | undefined = bug === 'socat-shared-port' ? 'socat' : bug && name !== 'snooping' ? 'mcr' : undefined;
  if (name === 'compare' && input.relay !== undefined) fail('--relay does not apply to compare (it runs mcr, socat and kernel)');
  if (implied && input.relay && input.relay !== implied) fail(`--inject-bug ${bug} needs --relay ${implied}, received --relay ${input.relay}`);
  const relay: RelayName = implied ?? input.relay ?? 'mcr';
  if (MCR_ONLY.includes(name) && relay !== 'mcr') fail(`${name} drives mcr's control socket: --relay must be mcr, received ${relay}`);
  const family: AddressFamily = input.family ?? 'ipv4';

  let streams: number[];
  if (input.streams === undefined) streams = DEFAULT_STREAMS[name];
  else {
    streams = Array.isArray(input.streams) ? input.streams : [input.streams];
    if (streams.length === 0) fail('--streams must not be empty');
    if (streams.length > 1 && name !== 'scaling') fail(`--streams takes a list for scaling only, received ${JSON.stringify(raw.streams)}`);
  }
  if (bug === 'socat-shared-port' && streams.some((n) => n < 2)) fail('--inject-bug socat-shared-port needs --streams >= 2 (processes must share a port)');

  if (relay !== 'mcr' && (input.workers !== undefined || input.fanoutMode !== undefined)) fail(`--workers and --fanout-mode apply to --relay mcr only (relay is ${relay})`);
  let workers = input.workers ?? (name === 'duplication' || name === 'chaos' ? 2 : DEFAULTS.workers);
  let fanoutMode: FanoutMode = input.fanoutMode ?? DEFAULTS.fanoutMode;
  if (bug === 'fanout-off') {
    if (input.fanoutMode !== undefined && input.fanoutMode !== 'off') fail(`--inject-bug fanout-off contradicts --fanout-mode ${input.fanoutMode}`);
    fanoutMode = 'off';
    workers = Math.max(2, workers);
  }
  if (name === 'duplication' && workers < 2) fail('duplication needs --workers >= 2');
  if (input.duration !== undefined && name !== 'soak') fail(`--duration applies to soak only (scenario is ${name}); the others take --count`);
  for (const k of ['seconds', 'seed'] as const) if (input[k] !== undefined && name !== 'chaos') fail(`--${k} applies to chaos only (scenario is ${name})`);
  if (name === 'chaos' && streams[0]! < 2) fail('chaos needs --streams >= 2 (one of them is a rule added at run time)');

  return {
    scenario: name,
    relay,
    family,
    streams,
    workers,
    fanoutMode,
    // chaos: 2 kpps per stream by default, so that a fault's loss stands out from the machine's noise.
    rate: input.rate ?? (name === 'chaos' ? 2000 * streams[0]! : 10_000),
    count: input.count ?? 2000,
    countGiven: input.count !== undefined,
    durationSec: input.duration ?? 600,
    seconds: input.seconds ?? 120,
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    size: input.size ?? 1000,
    // A soak holds the relay to production standards: 0.01 % over the whole run.
    maxLoss: input.maxLoss ?? (name === 'soak' ? 0.01 : 1),
    maxDup: input.maxDup ?? 0,
    injectBug: bug,
    json: input.json,
    onProgress: input.onProgress ?? (() => {}),
  };
}
