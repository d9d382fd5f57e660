import type { LogLevel as SdkLogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';
import { companyIdOf } from '../contract';
import type { Log, LogLevel } from '../logging/log';
import { redact, redactText } from '../logging/redact';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Routes every SDK, worker, activity and workflow log line through the keeper's logger: redacted, and with the
 * `companyId` the workflow id names, so each line about a company carries both.
 */
export class SdkLogAdapter implements Logger {
  constructor(private readonly target: Log) {}

  log(level: SdkLogLevel, message: string, meta?: LogMetadata): void {
    const fields = (meta ? redact(meta) : {}) as Record<string, unknown>;
    const companyId = typeof fields.workflowId === 'string' ? companyIdOf(fields.workflowId) : undefined;
    if (companyId !== undefined && fields.companyId === undefined) fields.companyId = companyId;
    this.target.pino[PINO_LEVEL[level]](fields, redactText(message));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface RuntimeOptions {
  log: Log;
  /** Lowest level of SDK lines passed on; `warn` keeps the SDK's routine lines out. */
  level: LogLevel;
  /**
   * `host:port` where the SDK's Prometheus exporter serves `/metrics` (its own runtime metrics and the keeper's,
   * emitted through the workflow and activity meters); unset: no metrics.
   */
  prometheusAddress?: string;
}

const SDK_LEVEL = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;

/** Installs the Temporal runtime (once per process): logging through `log`, and metrics when asked. */
export function installRuntime(options: RuntimeOptions): void {
  Runtime.install({
    logger: new SdkLogAdapter(options.log),
    // The SDK would shut every worker down on SIGINT/SIGTERM at once; the worker's own handler (stop-on-signals.ts)
    // must first hand its keepers over, which needs the worker still polling.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: SDK_LEVEL[options.level], other: 'ERROR' } },
      ...(options.prometheusAddress && {
        metrics: {
          prometheus: {
            bindAddress: options.prometheusAddress,
            countersTotalSuffix: true,
            useSecondsForDurations: true,
            unitSuffix: true,
          },
        },
      }),
    },
  });
}
