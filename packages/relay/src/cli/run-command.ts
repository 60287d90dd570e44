import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { CONFIG_FIELDS } from '../config/config-schema.js';
import type { LogFormat, RelayConfig } from '../config/types.js';
import { resolve } from 'node:path';
import { claimSocketPath, withdrawSocketPath } from '../control/socket-path.js';
import { Relay } from '../daemon/relay.js';
import type { ReloadSummary } from '../daemon/reload-plan.js';
import { summaryLine, type StatsReport } from '../daemon/stats-report.js';
import { createLogger, type Logger } from '../log.js';
import { interfaceExists } from '../net/interfaces.js';
import { parseFlags, UsageError, type Flags } from '@mcr/cli-kit';

const SHUTDOWN_DEADLINE_MS = 5000;
/** SIGTERM during start-up: the process is gone within this (the bound we promise is 2 s). */
const STOP_DURING_STARTUP_DEADLINE_MS = 1800;
/** ... of which start-up may take this long to notice the stop, after the shutdown. */
const STARTUP_SETTLE_MS = 800;
/** A failed start-up: the process has exited within this, cleaned up or not. */
const STARTUP_FAILURE_CLEANUP_MS = 1500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** A backstop that never holds the process alive: if it is still running after `ms`, exit with `code`. */
function exitAfter(ms: number, code: number, log: Logger, why: string): void {
  setTimeout(() => {
    log.error(`${why}; exiting`);
    process.exit(code);
  }, ms).unref();
}

/** The command line's overrides of config fields, checked by the config schema's own fields. */
interface RunFlags {
  configFile: string;
  stateFile: string | undefined;
  /** The config file with the command line's overrides: at start, and again at every reload. */
  readConfig: () => RelayConfig;
}

/** `mcr run`'s flags: those that override config fields are checked by the config's own field schemas. */
export const RUN_FLAGS = {
  config: { value: 'FILE', help: 'JSON5 config file (required; docs/config.md lists every field)' },
  workers: { value: 'N', schema: CONFIG_FIELDS.workers, note: 'overrides "workers"' },
  control: { value: 'PATH', help: 'the control socket\'s path', note: 'overrides "control.socket"' },
  'stats-interval': { value: 'SEC', schema: CONFIG_FIELDS.statsInterval, note: 'overrides "statsInterval"' },
  'log-level': { value: 'LEVEL', schema: CONFIG_FIELDS.logLevel, note: 'overrides "logLevel"' },
  'log-format': { value: 'FORMAT', schema: CONFIG_FIELDS.logFormat, note: 'overrides "logFormat"' },
  metrics: { value: 'ADDR', schema: CONFIG_FIELDS.metricsListen, note: 'serves http://ADDR/metrics; overrides "metrics.listen" (default: off)' },
  state: {
    value: 'FILE',
    help:
      'keep the rules added at runtime (mcr add/remove) in FILE and restore them at the next start; written atomically as part of ' +
      'every change (a change that cannot be saved is refused, ESTATE); an unreadable FILE is moved aside to FILE.corrupt-<time>; ' +
      'a saved rule whose interface is absent waits (pending)',
  },
} as const satisfies Flags;

function parseRunFlags(argv: string[]): RunFlags {
  const { values } = parseFlags(argv, RUN_FLAGS);
  if (!values.config) throw new UsageError('--config FILE is required');
  const { workers, 'stats-interval': statsInterval, 'log-level': logLevel, 'log-format': logFormat } = values;
  // Relative paths would silently depend on the daemon's working directory.
  const control = values.control === undefined || values.control.startsWith('/') ? values.control : `${process.cwd()}/${values.control}`;
  const configFile = values.config;
  const metrics = values.metrics;
  const readConfig = () => {
    const config = loadConfig(configFile, { interfaceExists });
    if (workers !== undefined) config.workers = workers;
    if (control !== undefined) config.control.socket = control;
    if (statsInterval !== undefined) config.statsInterval = statsInterval;
    if (logLevel !== undefined) config.logLevel = logLevel;
    if (metrics !== undefined) config.metrics = { listen: metrics };
    if (logFormat !== undefined) config.logFormat = logFormat;
    return config;
  };
  return { configFile, stateFile: values.state === undefined ? undefined : resolve(values.state), readConfig };
}

/**
 * SIGTERM and SIGINT resolve the promise returned; SIGHUP reloads the config file once `isRunning()`
 * (a terminal closing must not stop forwarding either).
 */
function handleSignals(relay: Relay, log: Logger, configFile: string, isRunning: () => boolean): Promise<void> {
  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string) => {
    log.info(`${signal}: stopping`);
    stopRequested?.();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGHUP', () => {
    if (!isRunning()) return log.warn('SIGHUP: still starting; reload ignored');
    log.info(`SIGHUP: reloading ${configFile}`);
    relay.reload().then(
      (summary) => logReload(log, summary),
      (err: unknown) => logReloadFailure(log, err),
    );
  });
  return stopped;
}

/**
 * Stopped while starting: shut down what has started at once; start-up then finds its pools stopped
 * and its socket path withdrawn, and gives up. Whatever it still started meanwhile is stopped by a
 * second shutdown. If anything hangs, exit anyway: workers exit with our IPC channel, the kernel
 * drops memberships and the path's lock with our sockets.
 */
async function stopDuringStartup(relay: Relay, config: RelayConfig, startup: Promise<unknown>, log: Logger): Promise<number> {
  exitAfter(STOP_DURING_STARTUP_DEADLINE_MS, 1, log, 'stopping during start-up did not finish in time');
  withdrawSocketPath(config.control.socket);
  await relay.shutdown().catch(() => undefined);
  const settled = await Promise.race([startup.then(() => true), sleep(STARTUP_SETTLE_MS).then(() => false)]);
  if (settled) await relay.shutdown().catch(() => undefined);
  log.info('stopped during start-up');
  return 0;
}

/** A failed start-up: whatever it left running must not keep the process alive; exit 2 once cleaned up, or anyway. */
async function failedStartup(relay: Relay, error: unknown, log: Logger): Promise<number> {
  exitAfter(STARTUP_FAILURE_CLEANUP_MS, 2, log, 'cleaning up after a failed start-up did not finish in time');
  await Promise.race([relay.shutdown().catch(() => undefined), sleep(STARTUP_FAILURE_CLEANUP_MS)]);
  if (error instanceof ConfigError) throw error;
  log.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  return 2;
}

/** Forwarding: a summary line every statsInterval until stopped, then the shutdown and the final summary. */
async function serveUntilStopped(relay: Relay, config: RelayConfig, stopped: Promise<void>, log: Logger): Promise<number> {
  const timer =
    config.statsInterval > 0
      ? setInterval(() => {
          relay
            .stats()
            .then((s) => summary(log, config.logFormat, 'stats', s))
            .catch(() => undefined);
        }, config.statsInterval * 1000)
      : undefined;
  await stopped;
  if (timer) clearInterval(timer);
  // A last resort, never the plan: if shutdown ever hangs, exit anyway. The kernel drops the memberships
  // with our sockets, and workers exit when their IPC channel to us closes.
  exitAfter(SHUTDOWN_DEADLINE_MS, 1, log, `shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`);
  const final = await relay.shutdown();
  summary(log, config.logFormat, 'final', final);
  return 0;
}

/** `mcr run`: resolves when the relay has stopped; the exit code is the caller's to set. */
export async function runCommand(argv: string[]): Promise<number> {
  const { configFile, stateFile, readConfig } = parseRunFlags(argv);
  const config = readConfig();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  try {
    // Before anything starts: a socket path we may not use (directory, group, another relay) refuses
    // the start with nothing to clean up.
    claimSocketPath(config.control.socket, config.control.group);
  } catch (err) {
    log.error(`start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const relay = new Relay(config, log, { configFile, loadConfig: readConfig, ...(stateFile ? { stateFile } : {}) });
  let running = false;
  const stopped = handleSignals(relay, log, configFile, () => running);

  log.info(`starting (pid ${process.pid}): ${config.rules.length} rule(s) from ${configFile}`);
  const startup = relay.start().then(
    () => undefined,
    (err: unknown) => err ?? new Error('start-up failed'),
  );
  const first = await Promise.race([startup.then((error) => ({ error, stop: false })), stopped.then(() => ({ error: undefined, stop: true }))]);
  if (first.stop) return stopDuringStartup(relay, config, startup, log);
  if (first.error !== undefined) return failedStartup(relay, first.error, log);
  running = true;
  return serveUntilStopped(relay, config, stopped, log);
}

export function logReload(log: Logger, s: ReloadSummary): void {
  const list = (ids: string[]) => (ids.length === 0 ? '-' : ids.join(','));
  log.info(`reload: added ${list(s.added)} removed ${list(s.removed)} changed ${list(s.changed)} unchanged ${s.unchanged} (runtime rules kept: ${list(s.kept)}; pending: ${list(s.pending)})`);
  for (const a of s.applied) log.info(`reload: ${a}`);
  for (const i of s.ignoredUntilRestart) log.warn(`reload: ${i.setting} changed in the file (${JSON.stringify(i.running)} -> ${JSON.stringify(i.file)}): ignored until restart`);
}

function logReloadFailure(log: Logger, err: unknown): void {
  if (err instanceof ConfigError) {
    log.error(`reload refused, nothing changed: the config file has ${err.issues.length} problem(s):`);
    for (const i of err.issues) log.error(`reload:   ${i.path ? `${i.path}: ` : ''}${i.message}`);
  } else {
    log.error(`reload failed, nothing changed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The periodic and the final summary: a plain line in text, the totals as fields in JSON lines. */
function summary(log: Logger, format: LogFormat, kind: 'stats' | 'final', s: StatsReport): void {
  if (format === 'json') log.info(`${kind}: ${summaryLine(s)}`, { event: kind, rules: s.rules.length, memberships: s.igmp.memberships.length, ...s.totals });
  else process.stderr.write(`${new Date().toISOString()} mcr ${kind}: ${summaryLine(s)}\n`);
}
