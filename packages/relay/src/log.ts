import type { LogFormat, LogLevel } from './config/types.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Structured context for a log line: in JSON lines they are fields; in text they follow the message. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  level: LogLevel;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/**
 * Logs to stderr, one line per event; stdout stays for data (--json). `text`: a timestamp, `mcr
 * <level>:`, the message (fields are for machines and left out). `json`: one object per line, `time`,
 * `level`, `msg` and the fields, for journald and ELK.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l), format: LogFormat = 'text'): Logger {
  const logger: Logger = {
    level,
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
  function emit(at: LogLevel, message: string, fields?: LogFields) {
    if (RANK[at] > RANK[logger.level]) return;
    const time = new Date().toISOString();
    if (format === 'json') write(`${JSON.stringify({ ...fields, time, level: at, msg: message })}\n`);
    else write(`${time} mcr ${at}: ${message}\n`);
  }
  return logger;
}
