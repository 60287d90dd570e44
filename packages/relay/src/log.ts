import type { LogLevel } from './config/types.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  level: LogLevel;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Logs to stderr, one line per event, with a timestamp; stdout stays for data (--json). */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const logger: Logger = {
    level,
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => emit('debug', m),
  };
  function emit(at: LogLevel, message: string) {
    if (RANK[at] <= RANK[logger.level]) write(`${new Date().toISOString()} mcr ${at}: ${message}\n`);
  }
  return logger;
}
