// Scenario options: one normalise -> default -> validate step shared by the CLI and the TS API. Each
// option's type and range is the zod schema's (numbers as numbers or their text, so the CLI's strings
// and a TypeScript caller's numbers go through the same checks); what depends on several options
// (implied relays, negative controls, families) follows it. Errors are ScenarioUsageError (the CLI
// exits 2) naming the option as its flag, the expectation and the value.
import { z } from 'zod';
import { choiceValue, defaultsAcross, integerValue, numberValue, UsageError, usageErrorFrom, type Flag, type Flags } from '@mcr/cli-kit';
import { DEFAULTS, FANOUT_MODES, type FanoutMode } from '@mcr/relay';
import { isMcrRelay, RELAY_NAMES, type RelayName } from '../relays/index.js';
import { DEFAULT_PAYLOAD, FAMILIES, MAX_PAYLOAD, MAX_STREAMS, MIN_PAYLOAD, type AddressFamily } from '@mcr/netns-lab';
import { CHURN_DEFAULT_SECONDS } from './churn.js';
import { COMPARE_RELAYS } from './compare.js';

export type { FanoutMode };

export const SCENARIO_NAMES = ['multi-stream', 'scaling', 'duplication', 'igmp', 'snooping', 'churn', 'compare', 'soak', 'loop', 'chaos', 'listeners', 'querierless', 'discovery'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const INJECTED_BUGS = ['fanout-off', 'no-igmp', 'socat-shared-port', 'no-loop-guard', 'no-restart', 'forget-state', 'ignore-leaves', 'no-querier', 'no-loop-cache'] as const;
export type InjectedBug = (typeof INJECTED_BUGS)[number];

/**
 * What callers pass: SCENARIO_FLAGS in camel case (--fanout-mode: fanoutMode), each checked by that
 * flag's schema; what is absent takes scenarioDefaults().
 */
export interface ScenarioInput {
  relay?: RelayName;
  /** IP version of the streams. */
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
  /** soak: how long to run, seconds. */
  duration?: number | string;
  /** chaos: how long to inject faults, seconds. */
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
  listeners: [2],
  querierless: [1],
  discovery: [1],
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
  listeners: ['ignore-leaves'],
  querierless: ['no-querier'],
  discovery: ['no-loop-cache'],
};

/** Scenarios that drive mcr's control socket: mcr only. */
const MCR_ONLY: readonly ScenarioName[] = ['duplication', 'igmp', 'churn', 'soak', 'loop', 'chaos', 'listeners', 'querierless', 'discovery'];
/** Scenarios that run for --seconds (and draw from --seed). */
const TIMED: readonly ScenarioName[] = ['chaos', 'listeners'];
/** Scenarios whose traffic runs for a time, not a packet count. */
const UNCOUNTED: readonly ScenarioName[] = ['listeners', 'querierless'];


function fail(msg: string): never {
  throw new ScenarioUsageError(msg);
}

const streamCount = integerValue(1, MAX_STREAMS);

/** `mcr-lab run`'s flags; ScenarioInput holds the same options in camel case (--max-loss: maxLoss). */
export const SCENARIO_FLAGS = {
  relay: { value: 'NAME', schema: choiceValue(RELAY_NAMES), help: 'relay under test', note: 'kernel is kernel-mfc where the kernel routes multicast, else kernel-tc' },
  family: { value: FAMILIES.join('|'), schema: choiceValue(FAMILIES), help: 'IP version of the streams (ipv6: ff3e::1:<n> -> ff3e::9:<n>)' },
  // One count, a list, or the CLI's "1,2,5,10".
  streams: {
    value: 'N',
    schema: z.union([streamCount, z.array(streamCount), z.string().transform((list): (string | number)[] => list.split(',').map((n) => n.trim())).pipe(z.array(streamCount))], {
      error: (issue) => `must be a stream count 1..${MAX_STREAMS} or a list of them, got ${JSON.stringify(issue.input)}`,
    }),
    describedBy: streamCount,
    help: 'streams (scaling: a list of counts, e.g. 1,2,5)',
  },
  workers: { value: 'N', schema: integerValue(1, DEFAULTS.maxWorkers), help: 'mcr workers' },
  'fanout-mode': { value: FANOUT_MODES.join('|'), schema: choiceValue(FANOUT_MODES), help: 'mcr PACKET_FANOUT mode' },
  rate: { value: 'PPS', schema: integerValue(0, 10_000_000), help: 'aggregate offered rate, 0 = unthrottled' },
  count: { value: 'N', schema: integerValue(1, 100_000_000), help: 'packets per stream' },
  size: { value: 'BYTES', schema: integerValue(MIN_PAYLOAD, MAX_PAYLOAD), help: 'UDP payload' },
  'max-loss': { value: 'PCT', schema: numberValue(0, 100), help: 'highest loss per stream, percent' },
  // Any count: the help says "0.." rather than the largest safe integer.
  'max-dup': { value: 'N', schema: integerValue(0, Number.MAX_SAFE_INTEGER), describedBy: z.number().min(0), help: 'highest duplicates per stream' },
  'inject-bug': { value: 'NAME', schema: choiceValue(INJECTED_BUGS), help: 'negative control: a bug the scenario must catch' },
  duration: { value: 'SEC', schema: numberValue(1, 7 * 86400), help: 'soak: seconds of traffic' },
  seconds: { value: 'SEC', schema: numberValue(10, 7 * 86400), help: 'chaos: seconds of faults; listeners: seconds of joins and leaves' },
  seed: { value: 'N', schema: integerValue(0, 2 ** 31 - 1), help: "chaos, listeners: the schedule's seed", defaults: 'default: drawn and printed' },
  json: { value: 'FILE', schema: z.string(), help: 'also write the report as JSON' },
} as const satisfies Flags;

type ScenarioFlag = keyof typeof SCENARIO_FLAGS;
type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
const camel = <S extends string>(flag: S) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as Camel<S>;

/** ScenarioInput's key of each flag. */
export const SCENARIO_INPUT_KEY = Object.fromEntries(Object.keys(SCENARIO_FLAGS).map((flag) => [flag, camel(flag)])) as { [F in ScenarioFlag]: Camel<F> };

/** Each option, keyed as ScenarioInput names it, checked by its flag's schema. */
const scenarioInputSchema = z.strictObject({
  ...(Object.fromEntries(Object.entries(SCENARIO_FLAGS).map(([flag, f]) => [camel(flag), f.schema.optional()])) as {
    [F in ScenarioFlag as Camel<F>]: z.ZodOptional<(typeof SCENARIO_FLAGS)[F]['schema']>;
  }),
  onProgress: z.custom<(line: string) => void>((f) => typeof f === 'function', { error: 'must be a function' }).optional(),
});

/** "mcr, socat and kernel". */
const COMPARED = `${COMPARE_RELAYS.slice(0, -1).join(', ')} and ${COMPARE_RELAYS.at(-1)}`;

/**
 * listeners, querierless: offered pps per stream unless --rate: a packet every 4 ms times joins and
 * leaves to a few ms, and a dozen receivers and three observers stay cheap on two cores.
 */
const LISTENER_PPS_PER_STREAM = 250;

/** chaos: offered pps per stream unless --rate, so that a fault's loss stands out from the machine's noise. */
const CHAOS_PPS_PER_STREAM = 2000;

/** What a scenario runs with where its options say nothing (`streams`: the streams it runs, for the rate). */
export function scenarioDefaults(name: ScenarioName, streams: number[] = DEFAULT_STREAMS[name]) {
  return {
    relay: 'mcr' as RelayName,
    family: 'ipv4' as AddressFamily,
    streams: DEFAULT_STREAMS[name],
    workers: name === 'duplication' || name === 'chaos' ? 2 : DEFAULTS.workers,
    fanoutMode: DEFAULTS.fanoutMode,
    rate: name === 'chaos' ? CHAOS_PPS_PER_STREAM * streams[0]! : UNCOUNTED.includes(name) ? LISTENER_PPS_PER_STREAM * streams[0]! : 10_000,
    count: 2000,
    size: DEFAULT_PAYLOAD,
    // A soak holds the relay to production standards: 0.01 % over the whole run.
    maxLoss: name === 'soak' ? 0.01 : 1,
    maxDup: 0,
    duration: 600,
    seconds: name === 'listeners' ? 60 : 120,
  };
}

type DefaultKey = keyof ReturnType<typeof scenarioDefaults>;

/**
 * Whether `flag` means anything to scenario `name`: one scenario's help shows only these. --duration,
 * --seconds and --seed elsewhere are refused; --relay for a scenario that runs mcr only may name mcr.
 */
function applies(flag: ScenarioFlag, name: ScenarioName): boolean {
  switch (flag) {
    case 'relay':
      return name !== 'compare' && !MCR_ONLY.includes(name);
    case 'inject-bug':
      return BUGS_FOR[name].length > 0;
    case 'duration':
      return name === 'soak';
    case 'seconds':
    case 'seed':
      return TIMED.includes(name);
    case 'count':
    case 'max-loss':
    case 'max-dup':
      return !UNCOUNTED.includes(name);
    default:
      return true;
  }
}

/** A default as the help says it for one scenario. */
function defaultText(flag: ScenarioFlag, name: ScenarioName): string | undefined {
  const key = SCENARIO_INPUT_KEY[flag];
  if (!(key in scenarioDefaults(name))) return undefined;
  if (flag === 'rate' && name === 'chaos') return `${CHAOS_PPS_PER_STREAM} per stream`;
  if (flag === 'rate' && UNCOUNTED.includes(name)) return `${LISTENER_PPS_PER_STREAM} per stream`;
  if (flag === 'count' && name === 'churn') return `enough for ${CHURN_DEFAULT_SECONDS} s`;
  const value = scenarioDefaults(name)[key as DefaultKey];
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * `mcr-lab run`'s flags as its help shows them: with the defaults of `scenario` and only the flags it
 * takes, or (no scenario) with the default most scenarios take and each scenario that differs.
 */
export function scenarioFlagsForHelp(scenario?: ScenarioName): Flags {
  const names = scenario ? [scenario] : SCENARIO_NAMES;
  const shown: Flags = {};
  for (const [flag, f] of Object.entries(SCENARIO_FLAGS) as [ScenarioFlag, Flag][]) {
    const taking = names.filter((n) => applies(flag, n));
    if (taking.length === 0) continue;
    const byScenario = taking.flatMap((n) => {
      const value = defaultText(flag, n);
      return value === undefined ? [] : [{ name: n, value }];
    });
    // One scenario (asked for, or the only one that takes the flag): its value.
    const defaults = byScenario.length === 1 ? `default ${byScenario[0]!.value}` : byScenario.length ? defaultsAcross(byScenario) : undefined;
    const note = flag === 'relay' && !scenario ? `${f.note}; compare runs ${COMPARED}` : f.note;
    const bugs = flag === 'inject-bug' && scenario ? { describedBy: choiceValue(BUGS_FOR[scenario]) } : {};
    shown[flag] = { ...f, ...bugs, ...(note ? { note } : {}), ...(defaults ? { defaults } : {}) };
  }
  return shown;
}

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
  if (name === 'compare' && input.relay !== undefined) fail(`--relay does not apply to compare (it runs ${COMPARED})`);
  if (implied && input.relay && input.relay !== implied) fail(`--inject-bug ${bug} needs --relay ${implied}, received --relay ${input.relay}`);
  const fallback = scenarioDefaults(name);
  const relay: RelayName = implied ?? input.relay ?? fallback.relay;
  if (MCR_ONLY.includes(name) && relay !== 'mcr') fail(`${name} drives mcr's control socket: --relay must be mcr, received ${relay}`);
  const family: AddressFamily = input.family ?? fallback.family;

  let streams: number[];
  if (input.streams === undefined) streams = fallback.streams;
  else {
    streams = Array.isArray(input.streams) ? input.streams : [input.streams];
    if (streams.length === 0) fail('--streams must not be empty');
    if (streams.length > 1 && name !== 'scaling') fail(`--streams takes a list for scaling only, received ${JSON.stringify(raw.streams)}`);
  }
  if (bug === 'socat-shared-port' && streams.some((n) => n < 2)) fail('--inject-bug socat-shared-port needs --streams >= 2 (processes must share a port)');

  if (!isMcrRelay(relay) && (input.workers !== undefined || input.fanoutMode !== undefined)) fail(`--workers and --fanout-mode apply to --relay mcr or mcr-tc only (relay is ${relay})`);
  const d = scenarioDefaults(name, streams);
  let workers = input.workers ?? d.workers;
  let fanoutMode: FanoutMode = input.fanoutMode ?? d.fanoutMode;
  if (bug === 'fanout-off') {
    if (input.fanoutMode !== undefined && input.fanoutMode !== 'off') fail(`--inject-bug fanout-off contradicts --fanout-mode ${input.fanoutMode}`);
    fanoutMode = 'off';
    workers = Math.max(2, workers);
  }
  if (name === 'duplication' && workers < 2) fail('duplication needs --workers >= 2');
  if (input.duration !== undefined && !applies('duration', name)) fail(`--duration applies to soak only (scenario is ${name}); the others take --count`);
  for (const k of ['seconds', 'seed'] as const) if (input[k] !== undefined && !applies(k, name)) fail(`--${k} applies to ${TIMED.join(' and ')} only (scenario is ${name})`);
  for (const k of ['count', 'maxLoss', 'maxDup'] as const) {
    if (input[k] !== undefined && UNCOUNTED.includes(name)) fail(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to ${name} (it checks bounds on time, not loss counts)`);
  }
  if (name === 'chaos' && streams[0]! < 2) fail('chaos needs --streams >= 2 (one of them is a rule added at run time)');

  return {
    scenario: name,
    relay,
    family,
    streams,
    workers,
    fanoutMode,
    rate: input.rate ?? d.rate,
    count: input.count ?? d.count,
    countGiven: input.count !== undefined,
    durationSec: input.duration ?? d.duration,
    seconds: input.seconds ?? d.seconds,
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    size: input.size ?? d.size,
    maxLoss: input.maxLoss ?? d.maxLoss,
    maxDup: input.maxDup ?? d.maxDup,
    injectBug: bug,
    json: input.json,
    onProgress: input.onProgress ?? (() => {}),
  };
}
