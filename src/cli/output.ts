import { CliSetupError } from './connect';
import {
  InvalidInputError,
  NotEnrolledError,
  ReseedRefusedError,
  StaleTokensError,
  TokenKeeperError,
} from '../client/errors';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `text` safe for a terminal: control characters (ANSI escapes, carriage returns, newlines inside a value) shown as
 * `\u001b`-style escapes, so a stored `--reason` or error can never forge a line of output or move the cursor.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An ISO time for people, `—` for none. */
export const iso = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toISOString());

/**
 * `value` with every epoch-millisecond time (a number under a key ending in `At`, at any depth) as an ISO string, so
 * every `--json` output spells times one way.
 */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      /At$|^at$/.test(key) && typeof item === 'number' ? new Date(item).toISOString() : withIsoTimes(item),
    ]),
  );
}

/** Bad input or setup exits 2; an operation that ran and failed exits 1. */
export function exitCodeFor(error: unknown): number {
  const badInput =
    error instanceof InvalidInputError ||
    error instanceof NotEnrolledError ||
    error instanceof StaleTokensError ||
    error instanceof ReseedRefusedError ||
    error instanceof CliSetupError;
  return badInput ? 2 : 1;
}

/** Says what failed and what to do next on stderr; with `--json`, the same as one object on stdout. */
export function report(error: unknown, json: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    error instanceof TokenKeeperError || error instanceof CliSetupError
      ? error.hint
      : 'see the message above; plum-keeper --help lists the commands';
  process.stderr.write(`plum-keeper: ${printable(message)}\n  next: ${printable(hint)}\n`);
  if (json) {
    const name = error instanceof Error ? error.name : 'Error';
    process.stdout.write(`${JSON.stringify({ error: { name, message, hint } })}\n`);
  }
}
