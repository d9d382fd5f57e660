import { z } from 'zod';

/** How a variable is documented: the README's configuration table is generated from these. */
export interface VariableDoc {
  description: string;
  /** Shown instead of the schema default (for variables whose default is computed or absent). */
  defaultText?: string;
  /** Read from `NAME` or from the file named by `NAME_FILE`; never echoed. */
  secret?: boolean;
}

export const doc = (meta: VariableDoc) => meta as unknown as Record<string, unknown>;

/** A decimal number in a string, refusing blanks, hex and the like (which `Number()` would turn into 0). */
export function decimal(min: number, max: number, options: { integer?: boolean } = {}) {
  const shape = options.integer ? /^\d+$/ : /^-?\d+(\.\d+)?$/;
  const what = options.integer ? 'a whole number' : 'a decimal number';
  let number = z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
  if (options.integer) number = number.int(`must be ${what}`);
  return z.string().trim().regex(shape, `must be ${what} between ${min} and ${max}`).transform(Number).pipe(number);
}

export const port = () => decimal(1, 65_535, { integer: true });
export const DAY_MS = 24 * 3600_000;
