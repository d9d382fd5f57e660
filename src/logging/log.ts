import pino from 'pino';
import pretty from 'pino-pretty';
import { SECRET_FIELD_NAMES, redact, redactText } from './redact';

/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object per line (production); `pretty`: readable lines (the embedded demo). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A logger for the keeper's processes; callers never pass token values, and redaction catches those who do. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line carries `bindings` (for example `companyId` and `workflowId`). */
  child(bindings: Record<string, unknown>): Log;
  /** The pino logger underneath, for adapters (the Temporal SDK's logger). */
  readonly pino: pino.Logger;
}

export interface LogOptions {
  /** Lowest level written; the SDK's `trace` lines pass only at `debug`. */
  level?: LogLevel;
  format?: LogFormat;
}

/** Secret fields at the top level and one level down, for pino's own redaction (the formatter covers any depth). */
const REDACT_PATHS = SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`]);

function streams(format: LogFormat): pino.StreamEntry[] {
  // Warnings and errors go to stderr, the rest to stdout; `dedupe` writes each line to one stream only.
  const to = (fd: 1 | 2) =>
    format === 'pretty'
      ? pretty({
          destination: fd,
          sync: true,
          colorize: false,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          singleLine: true,
        })
      : pino.destination({ dest: fd, sync: true });
  return [
    { level: 'trace', stream: to(1) },
    { level: 'warn', stream: to(2) },
  ];
}

function wrap(logger: pino.Logger): Log {
  const write = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
    fields ? logger[level](fields, message) : logger[level](message);
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => wrap(logger.child(redact(bindings) as Record<string, unknown>)),
    pino: logger,
  };
}

/** A logger for `component` (pino underneath), redacting secrets by the same rules as everything else. */
export function createLog(component: string, options: LogOptions = {}): Log {
  const level = options.level ?? 'info';
  const logger = pino(
    {
      level: level === 'debug' ? 'trace' : level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    pino.multistream(streams(options.format ?? 'json'), { dedupe: true }),
  );
  return wrap(logger);
}
