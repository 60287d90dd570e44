import { z } from 'zod';
import { isMulticastAddress, NATIVE_FIELDS, parseIpAddress, TC_LIMITS } from '@mcr/relay-native';
import { ConfigError } from './config-error.js';
import { absentInterfacesPass, ruleSchema, type ParsedRule, type RuleCheckOptions } from './rule-schema.js';
import { CONTROL_MODE_OTHERS } from './limits.js';
import { array, boolean, configIssues, integer, isRecord, number, object, oneOf, text } from './schema-fields.js';
import { DATA_PLANE_ENGINES, DEFAULTS, FANOUT_MODES, LOG_FORMATS, LOG_LEVELS, type RelayConfig, type Rule } from './types.js';
import { RuleTable } from '../rules/rule-table.js';
import { listenerSettingsSchema } from '../listeners/listener-settings.js';
import { parseListenAddress } from '../metrics/listen-address.js';
import { reflectorsSchema, toReflectorConfig } from '../reflectors/reflector-schema.js';

// The config file's schema: normalise -> default -> validate in one zod parse that reports every
// issue with its field path. Cross-rule checks (duplicate inputs and ids, overlapping ranges, loops,
// limits) then go through the RuleTable, the same code that guards a runtime `add`.

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Modes are written as octal strings ("0660") in JSON, which has no octal literals; a number is taken too. */
function controlMode() {
  const error = (issue: { input?: unknown }) => `must be a file mode such as "0600", got ${JSON.stringify(issue.input) ?? 'nothing'}`;
  return z
    .union([z.string({ error }).regex(/^0?[0-7]{3}$/, { error }), z.int({ error }).min(0, { error }).max(0o777, { error })], { error })
    .transform((mode) => (typeof mode === 'string' ? parseInt(mode, 8) : mode))
    .refine((mode) => (mode & CONTROL_MODE_OTHERS) === 0, {
      // Whoever can connect can add and remove rules: only the owner and the configured group may.
      error: (issue) => `must not give others access (no bits in ${octal(CONTROL_MODE_OTHERS)}), got "${octal(issue.input as number)}"`,
    });
}

function listenAddress() {
  return text().superRefine((listen, ctx) => {
    const parsed = parseListenAddress(listen);
    if (typeof parsed === 'string') ctx.addIssue(parsed);
  });
}

/** Fields `mcr run` may override from the command line: its flags are checked by these. */
export const CONFIG_FIELDS = {
  workers: integer(1, DEFAULTS.maxWorkers).default(DEFAULTS.workers).describe('worker processes per input interface'),
  statsInterval: number(0, 86400).default(DEFAULTS.statsInterval).describe('seconds between summary lines on stderr; 0: off'),
  logLevel: oneOf(LOG_LEVELS).default(DEFAULTS.logLevel).describe('the least severe level logged'),
  logFormat: oneOf(LOG_FORMATS).default(DEFAULTS.logFormat).describe('text: readable lines; json: one JSON object per line'),
  metricsListen: listenAddress().describe('HOST:PORT for Prometheus, e.g. "127.0.0.1:9464" or "[::1]:9464"'),
};

/** The config file's schema, with interfaces looked up by `options` (the JSON Schema uses lookups that accept any). */
export function configSchema(options: RuleCheckOptions) {
  let schema = schemas.get(options);
  if (!schema) schemas.set(options, (schema = buildConfigSchema(options)));
  return schema;
}
const schemas = new WeakMap<RuleCheckOptions, ReturnType<typeof buildConfigSchema>>();

function buildConfigSchema(options: RuleCheckOptions) {
  return object({
    $schema: z.string().optional().describe('the JSON Schema this file follows (for editors); the relay ignores it'),
    workers: CONFIG_FIELDS.workers,
    dataPlane: object({
      engine: oneOf(DATA_PLANE_ENGINES)
        .default(DEFAULTS.engine)
        .describe('packet: AF_PACKET workers forward every rule; tc: a BPF program on each input\'s tc ingress forwards every rule (needs CAP_BPF and CAP_NET_ADMIN; a rule it cannot take, or a missing capability, stops the relay); auto: tc for the rules it can take where it can run, the packet engine for the rest (logged)'),
      batchSize: NATIVE_FIELDS.batchSize().default(DEFAULTS.batchSize).describe('frames a worker reads and sends per batch'),
      coalesceMicros: NATIVE_FIELDS.coalesceMicros()
        .default(DEFAULTS.coalesceMicros)
        .describe('after a partial batch, wait this long (µs) before draining again; 0: the adaptive wait (latencyBudgetMicros)'),
      latencyBudgetMicros: NATIVE_FIELDS.latencyBudgetMicros()
        .default(DEFAULTS.latencyBudgetMicros)
        .describe('the wait (µs) adaptive coalescing may add when coalesceMicros is 0'),
    }).prefault({}),
    fanout: object({
      mode: oneOf(FANOUT_MODES).default(DEFAULTS.fanoutMode).describe('how PACKET_FANOUT spreads an input\'s frames over its workers'),
      id: NATIVE_FIELDS.fanoutId()
        .optional()
        .describe('the first input interface\'s PACKET_FANOUT group id; each further input takes the lowest free of id+1, id+2, ... (a group serves one interface); default: the kernel picks one per interface'),
    }).prefault({}),
    igmp: listenerSettingsSchema.prefault({}).describe('memberships, and the querier and listener tracking of outputs with forward: "listeners" (RFC 3376, RFC 3810); times in seconds'),
    control: object({
      socket: text(/^\//, 'an absolute path').default(DEFAULTS.controlSocket).describe('the control socket\'s path'),
      mode: controlMode().prefault(octal(DEFAULTS.controlMode)).describe('the control socket\'s file mode, e.g. "0660"; no bits for others'),
      group: text(/^[A-Za-z0-9_.-]+$/, 'a group name or number').optional().describe('the control socket\'s group'),
      idleTimeout: number(0.1, 3600).default(DEFAULTS.controlIdleTimeout).describe('seconds a control connection may stay idle'),
      maxClients: integer(1, 4096).default(DEFAULTS.controlMaxClients).describe('control connections at once'),
    }).prefault({}),
    metrics: object({ listen: CONFIG_FIELDS.metricsListen })
      .optional()
      .describe('Prometheus endpoint (GET /metrics); absent: none'),
    statsInterval: CONFIG_FIELDS.statsInterval,
    logLevel: CONFIG_FIELDS.logLevel,
    logFormat: CONFIG_FIELDS.logFormat,
    waitForInterfaces: boolean()
      .default(DEFAULTS.waitForInterfaces)
      .describe('true: a rule whose interface does not exist (yet) waits for it, pending, and starts when it appears; false: an unknown interface is an error, so a typo is caught'),
    rules: array(ruleSchema(options)).default([]),
    reflectors: reflectorsSchema(options),
    testOnly: object({
      disableLoopGuard: boolean().default(false).describe('TEST-ONLY: no own-MAC check and TTL "set" on every output'),
      injectedWorkNanos: NATIVE_FIELDS.injectedWorkNanos().default(0).describe('TEST-ONLY: busy work per frame read'),
      fanoutIgnoreOutgoingUnsupported: boolean()
        .default(false)
        .describe('TEST-ONLY: act as a kernel on which PACKET_FANOUT_FLAG_IGNORE_OUTGOING has no effect (the rings\' filter drops the host\'s own frames)'),
      noWorkerRestart: boolean().default(false).describe('TEST-ONLY: a worker that dies stays dead (the chaos scenario\'s negative control)'),
      forgetState: boolean().default(false).describe('TEST-ONLY: --state is read at start but never written (the chaos scenario\'s negative control)'),
      tcInjectedCostLoops: integer(0, TC_LIMITS.maxInjectedCostLoops)
        .default(0)
        .describe('TEST-ONLY: empty bpf_loop iterations per frame in the tc engine\'s program (its gate\'s negative control)'),
      ignoreLeaves: boolean()
        .default(false)
        .describe('TEST-ONLY: IGMPv2 leaves, MLDv1 dones and TO_IN/BLOCK records are ignored, so a group stays until its timer runs out (the listeners scenario\'s negative control)'),
      noLoopCache: boolean()
        .default(false)
        .describe('TEST-ONLY: reflectors do not consult their loop cache, so a loop of reflectors storms (the discovery scenario\'s negative control)'),
      noReflectorJoins: boolean()
        .default(false)
        .describe('TEST-ONLY: reflectors join no group on their members, so a snooping switch sends them nothing (the discovery scenario\'s negative control)'),
    })
      .prefault({})
      .describe('TEST-ONLY switches, logged loudly at start; never in production'),
  });
}

/** A config file as users write it (before defaults): what tools that write configs (the lab) produce. */
export type RelayConfigFile = z.input<ReturnType<typeof buildConfigSchema>>;

/**
 * The relay's configuration from an untrusted value (a parsed JSON5 file). Throws ConfigError listing
 * every problem with its field path; the cross-rule checks run once every field is right.
 */
export function parseConfig(value: unknown, options: RuleCheckOptions): RelayConfig {
  // Whether rules may name interfaces that are not there yet decides how interfaces are checked.
  const waiting = isRecord(value) && value.waitForInterfaces === true;
  const result = configSchema(waiting ? absentInterfacesPass(options) : options).safeParse(value);
  if (!result.success) throw new ConfigError(configIssues(result.error.issues, '', value));
  const c = result.data;
  const { rules, generatedIds } = assignRuleIds(c.rules);
  RuleTable.from(rules);
  if (c.dataPlane.engine === 'tc') {
    const issues = tcEngineIssues(rules);
    if (issues.length > 0) throw new ConfigError(issues);
  }
  return {
    workers: c.workers,
    dataPlane: c.dataPlane,
    fanout: { mode: c.fanout.mode, ...(c.fanout.id === undefined ? {} : { id: c.fanout.id }) },
    igmp: c.igmp,
    control: { socket: c.control.socket, mode: c.control.mode, ...(c.control.group === undefined ? {} : { group: c.control.group }), idleTimeout: c.control.idleTimeout, maxClients: c.control.maxClients },
    ...(c.metrics ? { metrics: c.metrics } : {}),
    statsInterval: c.statsInterval,
    logLevel: c.logLevel,
    logFormat: c.logFormat,
    waitForInterfaces: c.waitForInterfaces,
    rules,
    generatedIds,
    reflectors: c.reflectors.map(toReflectorConfig),
    testOnly: c.testOnly,
  };
}

/**
 * Ids for the file's rules that have none: `rule-N` by position (from 1), or `rule-N-auto` (and so on)
 * when that id is taken, by a rule of the file or by `reserved`: the ids of the rules added at runtime,
 * which a rule of the file takes over only by naming them itself. (Runtime ids the relay generates,
 * `run-N`, can never be one of these.)
 */
export function assignRuleIds(rules: readonly ParsedRule[], reserved: ReadonlySet<string> = new Set()): { rules: Rule[]; generatedIds: string[] } {
  const taken = new Set<string>([...reserved, ...rules.flatMap((r) => (r.id === undefined ? [] : [r.id]))]);
  const generatedIds: string[] = [];
  const named = rules.map((r, i): Rule => {
    if (r.id !== undefined) return { ...r, id: r.id };
    let id = `rule-${i + 1}`;
    while (taken.has(id)) id = `${id}-auto`;
    taken.add(id);
    generatedIds.push(id);
    return { ...r, id };
  });
  return { rules: named, generatedIds };
}

/**
 * `config` with the ids it generated kept off `reserved` (the runtime rules' ids): the id-less rules
 * a file gains must never replace a rule added at runtime.
 */
export function reserveRuleIds(config: RelayConfig, reserved: ReadonlySet<string>): RelayConfig {
  if (!config.generatedIds.some((id) => reserved.has(id))) return config;
  const generated = new Set(config.generatedIds);
  const { rules, generatedIds } = assignRuleIds(
    config.rules.map(({ id, ...rule }) => (generated.has(id) ? rule : { ...rule, id })),
    reserved,
  );
  return { ...config, rules, generatedIds };
}

/**
 * With dataPlane.engine "tc", the rules the tc engine cannot take (as TcEngine's tcRefusal decides on
 * the native table): more than TC_LIMITS.maxOutputsPerRule outputs, a unicast output, an output with
 * forward "listeners".
 */
function tcEngineIssues(rules: Rule[]): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  rules.forEach((rule, i) => {
    const why =
      rule.outputs.length > TC_LIMITS.maxOutputsPerRule
        ? `has ${rule.outputs.length} outputs; dataPlane.engine "tc" clones to at most ${TC_LIMITS.maxOutputsPerRule} (use "auto" to leave it to the packet engine)`
        : rule.outputs.some((o) => !isMulticastAddress(parseIpAddress(o.group)!))
          ? 'has a unicast output, which dataPlane.engine "tc" cannot send (use "auto" to leave it to the packet engine)'
          : rule.outputs.some((o) => o.forward === 'listeners')
            ? 'has an output with forward "listeners", which dataPlane.engine "tc" does not gate (use "auto" to leave it to the packet engine)'
            : null;
    if (why !== null) issues.push({ path: `rules[${i}]`, message: why });
  });
  return issues;
}
