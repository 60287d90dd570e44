// Scenario options: one normalise -> default -> validate step shared by the CLI and the TS API.
// Errors are ScenarioUsageError (the CLI exits 2) naming the option, the expectation and the value.
import type { RelayName } from '../relays/index.js';
import { MAX_STREAMS } from '../bed/index.js';
import { FAMILIES, type AddressFamily } from '../topology/index.js';

export const SCENARIO_NAMES = ['multi-stream', 'scaling', 'duplication', 'igmp', 'snooping', 'churn', 'compare', 'soak', 'loop'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const INJECTED_BUGS = ['fanout-off', 'no-igmp', 'socat-shared-port', 'no-loop-guard'] as const;
export type InjectedBug = (typeof INJECTED_BUGS)[number];

export type FanoutMode = 'hash' | 'cpu' | 'lb' | 'off';

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
  size: number;
  maxLoss: number;
  maxDup: number;
  injectBug: InjectedBug | undefined;
  json: string | undefined;
  onProgress: (line: string) => void;
}

export class ScenarioUsageError extends Error {
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
  snooping: [30], // the bar: 30 groups behind the snooping bridge
  churn: [4],
  compare: [4],
  soak: [4],
  loop: [1],
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
};

/** Scenarios that drive mcr's control socket: mcr only. */
const MCR_ONLY: readonly ScenarioName[] = ['duplication', 'igmp', 'churn', 'soak', 'loop'];


function fail(msg: string): never {
  throw new ScenarioUsageError(msg);
}

function int(flag: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) fail(`--${flag} must be an integer in ${min}..${max}, received ${JSON.stringify(v)}`);
  return n;
}

function num(flag: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) fail(`--${flag} must be a number in ${min}..${max}, received ${JSON.stringify(v)}`);
  return n;
}

export function normaliseScenarioOptions(scenario: string, input: ScenarioInput = {}): ScenarioOptions {
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) fail(`unknown scenario "${scenario}" (expected one of ${SCENARIO_NAMES.join(', ')})`);
  const name = scenario as ScenarioName;
  const bug = input.injectBug;
  if (bug !== undefined) {
    if (!(INJECTED_BUGS as readonly string[]).includes(bug)) fail(`--inject-bug must be one of ${INJECTED_BUGS.join(', ')}, received ${JSON.stringify(bug)}`);
    if (!BUGS_FOR[name].includes(bug)) fail(`--inject-bug ${bug} does not apply to ${name} (it accepts: ${BUGS_FOR[name].join(', ') || 'none'})`);
  }
  // The relay: an injected bug implies one (snooping's no-igmp applies to every relay); compare runs all three.
  const implied: RelayName | undefined = bug === 'socat-shared-port' ? 'socat' : bug && name !== 'snooping' ? 'mcr' : undefined;
  if (input.relay !== undefined && !['mcr', 'socat', 'kernel'].includes(input.relay)) fail(`--relay must be mcr|socat|kernel, received ${JSON.stringify(input.relay)}`);
  if (name === 'compare' && input.relay !== undefined) fail('--relay does not apply to compare (it runs mcr, socat and kernel)');
  if (implied && input.relay && input.relay !== implied) fail(`--inject-bug ${bug} needs --relay ${implied}, received --relay ${input.relay}`);
  const relay: RelayName = implied ?? input.relay ?? 'mcr';
  if (MCR_ONLY.includes(name) && relay !== 'mcr') fail(`${name} drives mcr's control socket: --relay must be mcr, received ${relay}`);
  const family = input.family ?? 'ipv4';
  if (!FAMILIES.includes(family)) fail(`--family must be ${FAMILIES.join('|')}, received ${JSON.stringify(input.family)}`);

  let streams: number[];
  if (input.streams === undefined) streams = DEFAULT_STREAMS[name];
  else {
    const list = Array.isArray(input.streams) ? input.streams : typeof input.streams === 'string' ? input.streams.split(',') : [input.streams];
    if (list.length === 0) fail('--streams must not be empty');
    if (list.length > 1 && name !== 'scaling') fail(`--streams takes a list for scaling only, received ${JSON.stringify(input.streams)}`);
    streams = list.map((s) => int('streams', typeof s === 'string' ? s.trim() : s, 1, MAX_STREAMS));
  }
  if (bug === 'socat-shared-port' && streams.some((n) => n < 2)) fail('--inject-bug socat-shared-port needs --streams >= 2 (processes must share a port)');

  if (relay !== 'mcr' && (input.workers !== undefined || input.fanoutMode !== undefined)) fail(`--workers and --fanout-mode apply to --relay mcr only (relay is ${relay})`);
  let workers = input.workers === undefined ? (name === 'duplication' ? 2 : 1) : int('workers', input.workers, 1, 64);
  let fanoutMode: FanoutMode = input.fanoutMode ?? 'hash';
  if (!['hash', 'cpu', 'lb', 'off'].includes(fanoutMode)) fail(`--fanout-mode must be hash|cpu|lb|off, received ${JSON.stringify(input.fanoutMode)}`);
  if (bug === 'fanout-off') {
    if (input.fanoutMode !== undefined && input.fanoutMode !== 'off') fail(`--inject-bug fanout-off contradicts --fanout-mode ${input.fanoutMode}`);
    fanoutMode = 'off';
    workers = Math.max(2, workers);
  }
  if (name === 'duplication' && workers < 2) fail('duplication needs --workers >= 2');
  if (input.duration !== undefined && name !== 'soak') fail(`--duration applies to soak only (scenario is ${name}); the others take --count`);

  const count = input.count === undefined ? 2000 : int('count', input.count, 1, 100_000_000);
  return {
    scenario: name,
    relay,
    family,
    streams,
    workers,
    fanoutMode,
    rate: input.rate === undefined ? 10_000 : int('rate', input.rate, 0, 10_000_000),
    count,
    countGiven: input.count !== undefined,
    durationSec: input.duration === undefined ? 600 : num('duration', input.duration, 1, 7 * 86400),
    size: input.size === undefined ? 1000 : int('size', input.size, 64, 8972),
    // A soak holds the relay to production standards: 0.01 % over the whole run.
    maxLoss: input.maxLoss === undefined ? (name === 'soak' ? 0.01 : 1) : num('max-loss', input.maxLoss, 0, 100),
    maxDup: input.maxDup === undefined ? 0 : int('max-dup', input.maxDup, 0, Number.MAX_SAFE_INTEGER),
    injectBug: bug,
    json: input.json,
    onProgress: input.onProgress ?? (() => {}),
  };
}
