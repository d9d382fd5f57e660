import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { redact, redactText } from '../logging/redact';

/** Passes every SDK, worker and workflow log line through {@link redact} before it is written. */
export class RedactingLogger implements Logger {
  constructor(private readonly inner: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.inner.log(level, redactText(message), meta && (redact(meta) as LogMetadata));
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

/** Installs the Temporal runtime with redacted logging at `level` (once per process). */
export function installRuntimeLogging(level: LogLevel): void {
  Runtime.install({ logger: new RedactingLogger(new DefaultLogger(level)) });
}
