import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { LOG_LEVELS, type LogLevel } from '../config/types.js';
import { Relay } from '../daemon/relay.js';
import { summaryLine } from '../daemon/stats-report.js';
import { createLogger } from '../log.js';
import { interfaceExists } from '../net/interfaces.js';
import { integerFlag, numberFlag, parse, UsageError } from './args.js';

const SHUTDOWN_DEADLINE_MS = 5000;

/** `mcr run`: resolves when the relay has stopped; the exit code is the caller's to set. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string' },
    workers: { type: 'string' },
    control: { type: 'string' },
    'stats-interval': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (!values.config) throw new UsageError('--config FILE is required');
  const workers = integerFlag(values.workers, '--workers', 1, 64);
  const statsInterval = numberFlag(values['stats-interval'], '--stats-interval', 0, 86400);
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level: must be one of ${LOG_LEVELS.join(' | ')}, got "${logLevel}"`);
  }
  if (values.control !== undefined && !values.control.startsWith('/')) {
    // Relative paths would silently depend on the daemon's working directory.
    values.control = `${process.cwd()}/${values.control}`;
  }

  const config = loadConfig(values.config, { interfaceExists });
  if (workers !== undefined) config.workers = workers;
  if (values.control !== undefined) config.control.socket = values.control;
  if (statsInterval !== undefined) config.statsInterval = statsInterval;
  if (logLevel !== undefined) config.logLevel = logLevel as LogLevel;

  const log = createLogger(config.logLevel);
  const relay = new Relay(config, log);

  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string) => {
    log.info(`${signal}: stopping`);
    stopRequested?.();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  try {
    await relay.start();
  } catch (err) {
    await relay.shutdown().catch(() => undefined);
    if (err instanceof ConfigError) throw err;
    log.error(err instanceof Error ? err.message : String(err));
    return 2;
  }

  const timer =
    config.statsInterval > 0
      ? setInterval(() => {
          relay
            .stats()
            .then((s) => process.stderr.write(`${new Date().toISOString()} mcr stats: ${summaryLine(s)}\n`))
            .catch(() => undefined);
        }, config.statsInterval * 1000)
      : undefined;

  await stopped;
  if (timer) clearInterval(timer);
  // A last resort, never the plan: if shutdown ever hangs, exit anyway. The kernel drops the memberships
  // with our sockets, and workers exit when their IPC channel to us closes.
  setTimeout(() => {
    log.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  const final = await relay.shutdown();
  process.stderr.write(`${new Date().toISOString()} mcr final: ${summaryLine(final)}\n`);
  return 0;
}
