import { ConfigError } from './config-error.js';
import { FieldReader, join } from './fields.js';
import { checkRule, type RuleCheckOptions } from './rule-schema.js';
import { CONTROL_MODE_OTHERS, NATIVE_LIMITS } from './limits.js';
import { DEFAULTS, FANOUT_MODES, LOG_FORMATS, LOG_LEVELS, type FanoutMode, type RelayConfig, type Rule, type TestOnlySettings } from './types.js';
import { RuleTable } from '../rules/rule-table.js';
import { parseListenAddress } from '../metrics/listen-address.js';

const TOP_LEVEL_KEYS = ['workers', 'dataPlane', 'fanout', 'igmp', 'control', 'statsInterval', 'logLevel', 'logFormat', 'metrics', 'rules', 'testOnly'] as const;

/**
 * normalise -> default -> validate, in one pass that reports every issue with its field path.
 * Cross-rule checks (duplicate input tuples, duplicate ids, loops) go through the RuleTable, the same
 * code that guards runtime `add`.
 */
export function parseConfig(value: unknown, options: RuleCheckOptions): RelayConfig {
  const reader = new FieldReader();
  const obj = reader.object(value, '');
  if (!obj) throw new ConfigError(reader.issues);
  reader.onlyKeys(obj, '', TOP_LEVEL_KEYS);

  const workers = obj.workers === undefined ? DEFAULTS.workers : reader.integer(obj.workers, 'workers', 1, DEFAULTS.maxWorkers);

  const dataPlane = { batchSize: DEFAULTS.batchSize as number, coalesceMicros: DEFAULTS.coalesceMicros as number, latencyBudgetMicros: DEFAULTS.latencyBudgetMicros as number };
  if (obj.dataPlane !== undefined) {
    const d = reader.object(obj.dataPlane, 'dataPlane');
    if (d) {
      reader.onlyKeys(d, 'dataPlane', ['batchSize', 'coalesceMicros', 'latencyBudgetMicros']);
      if (d.latencyBudgetMicros !== undefined) {
        dataPlane.latencyBudgetMicros = reader.integer(d.latencyBudgetMicros, 'dataPlane.latencyBudgetMicros', 0, NATIVE_LIMITS.maxLatencyBudgetMicros) ?? dataPlane.latencyBudgetMicros;
      }
      if (d.batchSize !== undefined) dataPlane.batchSize = reader.integer(d.batchSize, 'dataPlane.batchSize', 1, NATIVE_LIMITS.maxBatchSize) ?? dataPlane.batchSize;
      if (d.coalesceMicros !== undefined) dataPlane.coalesceMicros = reader.integer(d.coalesceMicros, 'dataPlane.coalesceMicros', 0, NATIVE_LIMITS.maxCoalesceMicros) ?? dataPlane.coalesceMicros;
    }
  }

  let fanout: { mode: FanoutMode; id?: number } = { mode: DEFAULTS.fanoutMode };
  if (obj.fanout !== undefined) {
    const f = reader.object(obj.fanout, 'fanout');
    if (f) {
      reader.onlyKeys(f, 'fanout', ['mode', 'id']);
      const mode = f.mode === undefined ? DEFAULTS.fanoutMode : reader.oneOf(f.mode, 'fanout.mode', FANOUT_MODES);
      const id = f.id === undefined ? undefined : reader.integer(f.id, 'fanout.id', 0, 65535);
      fanout = { mode: mode ?? DEFAULTS.fanoutMode, ...(id === undefined ? {} : { id }) };
    }
  }

  let igmpJoin: boolean = DEFAULTS.igmpJoin;
  if (obj.igmp !== undefined) {
    const i = reader.object(obj.igmp, 'igmp');
    if (i) {
      reader.onlyKeys(i, 'igmp', ['join']);
      if (i.join !== undefined) igmpJoin = reader.boolean(i.join, 'igmp.join') ?? igmpJoin;
    }
  }

  const control: RelayConfig['control'] = {
    socket: DEFAULTS.controlSocket,
    mode: DEFAULTS.controlMode,
    idleTimeout: DEFAULTS.controlIdleTimeout,
    maxClients: DEFAULTS.controlMaxClients,
  };
  if (obj.control !== undefined) {
    const c = reader.object(obj.control, 'control');
    if (c) {
      reader.onlyKeys(c, 'control', ['socket', 'mode', 'group', 'idleTimeout', 'maxClients']);
      if (c.idleTimeout !== undefined) control.idleTimeout = reader.number(c.idleTimeout, 'control.idleTimeout', 0.1, 3600) ?? control.idleTimeout;
      if (c.maxClients !== undefined) control.maxClients = reader.integer(c.maxClients, 'control.maxClients', 1, 4096) ?? control.maxClients;
      if (c.socket !== undefined) control.socket = reader.string(c.socket, 'control.socket', /^\//, 'an absolute path') ?? control.socket;
      if (c.mode !== undefined) control.mode = parseMode(reader, c.mode, 'control.mode') ?? control.mode;
      if (c.group !== undefined) {
        const g = reader.string(c.group, 'control.group', /^[A-Za-z0-9_.-]+$/, 'a group name or number');
        if (g !== undefined) control.group = g;
      }
    }
  }

  const testOnly: TestOnlySettings = { disableLoopGuard: false, injectedWorkNanos: 0 };
  if (obj.testOnly !== undefined) {
    const t = reader.object(obj.testOnly, 'testOnly');
    if (t) {
      reader.onlyKeys(t, 'testOnly', ['disableLoopGuard', 'injectedWorkNanos']);
      if (t.disableLoopGuard !== undefined) testOnly.disableLoopGuard = reader.boolean(t.disableLoopGuard, 'testOnly.disableLoopGuard') ?? false;
      if (t.injectedWorkNanos !== undefined) {
        testOnly.injectedWorkNanos = reader.integer(t.injectedWorkNanos, 'testOnly.injectedWorkNanos', 0, NATIVE_LIMITS.maxInjectedWorkNanos) ?? 0;
      }
    }
  }

  let metrics: RelayConfig['metrics'];
  if (obj.metrics !== undefined) {
    const m = reader.object(obj.metrics, 'metrics');
    if (m) {
      reader.onlyKeys(m, 'metrics', ['listen']);
      const listen = reader.string(m.listen, 'metrics.listen');
      if (listen !== undefined) {
        const parsed = parseListenAddress(listen);
        if (typeof parsed === 'string') reader.fail('metrics.listen', parsed);
        else metrics = { listen };
      }
    }
  }

  const statsInterval = obj.statsInterval === undefined ? DEFAULTS.statsInterval : reader.number(obj.statsInterval, 'statsInterval', 0, 86400);
  const logLevel = obj.logLevel === undefined ? DEFAULTS.logLevel : reader.oneOf(obj.logLevel, 'logLevel', LOG_LEVELS);
  const logFormat = obj.logFormat === undefined ? DEFAULTS.logFormat : reader.oneOf(obj.logFormat, 'logFormat', LOG_FORMATS);

  const rawRules = obj.rules === undefined ? [] : reader.array(obj.rules, 'rules') ?? [];
  const rules: Rule[] = [];
  const takenIds = new Set(rawRules.map((r) => (r as { id?: unknown } | null)?.id).filter((id) => typeof id === 'string'));
  rawRules.forEach((r, i) => {
    const checked = checkRule(r, options, join('rules', i));
    if ('issues' in checked) reader.issues.push(...checked.issues);
    else rules.push({ ...checked.rule, id: checked.rule.id ?? freshId(i + 1, takenIds) });
  });

  if (reader.issues.length === 0) {
    try {
      RuleTable.from(rules);
    } catch (err) {
      if (err instanceof ConfigError) reader.issues.push(...err.issues);
      else throw err;
    }
  }
  if (reader.issues.length > 0) throw new ConfigError(reader.issues);
  return {
    workers: workers!,
    dataPlane,
    fanout,
    igmp: { join: igmpJoin },
    control,
    ...(metrics ? { metrics } : {}),
    statsInterval: statsInterval!,
    logLevel: logLevel!,
    logFormat: logFormat!,
    rules,
    testOnly,
  };
}

/** Ids generated for rules that have none: `rule-N` by position, never one that is taken. */
function freshId(position: number, taken: Set<unknown>): string {
  let id = `rule-${position}`;
  while (taken.has(id)) id = `${id}-auto`;
  taken.add(id);
  return id;
}

function parseMode(reader: FieldReader, value: unknown, path: string): number | undefined {
  // Modes are written as octal strings ("0660") in JSON, which has no octal literals.
  let mode: number | undefined;
  if (typeof value === 'string' && /^0?[0-7]{3}$/.test(value)) mode = parseInt(value, 8);
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o777) mode = value;
  if (mode === undefined) return reader.fail(path, `must be a file mode such as "0600", got ${JSON.stringify(value)}`);
  // Whoever can connect can add and remove rules: only the owner and the configured group may.
  if ((mode & CONTROL_MODE_OTHERS) !== 0) {
    return reader.fail(path, `must not give others access (no bits in 0${CONTROL_MODE_OTHERS.toString(8).padStart(3, '0')}), got "0${mode.toString(8).padStart(3, '0')}"`);
  }
  return mode;
}
