/**
 * One line per event on stdout: JSON (time, level, msg and the fields) for log collectors, or text for a person at
 * a terminal: `12:00:01.123 INFO  baton serving grpc=0.0.0.0:50051 metrics=0.0.0.0:9464`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether `level` is logged: check it before building the fields of a line on a busy path. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Default json. */
  format?: LogFormat;
  write?: (line: string) => void;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** A field value as text: bare when it reads unambiguously, quoted (JSON) when it has spaces, quotes or `=`. */
function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // undefined (and a function) have no JSON: they print as undefined.
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function textLine(time: Date, level: LogLevel, message: string, fields: Record<string, unknown>): string {
  const clock = `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`;
  const pairs = Object.entries(fields).map(([key, value]) => ` ${key}=${textValue(value)}`);
  return `${clock} ${level.toUpperCase().padEnd(5)} ${message}${pairs.join('')}\n`;
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const text = options.format === 'text';
  const enabled = (at: LogLevel): boolean => RANK[at] >= RANK[level];
  const emit =
    (at: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      if (!enabled(at)) return;
      const time = new Date();
      write(text ? textLine(time, at, message, fields) : `${JSON.stringify({ time: time.toISOString(), level: at, msg: message, ...fields })}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), enabled };
}

export const silentLogger: Logger = createLogger('error', { write: () => undefined });
