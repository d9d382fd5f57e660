import type { z } from 'zod';
import { firstIssuePath } from '../contract';
import { InvalidInputError } from './errors';

/** Checks a caller's argument before anything is sent; a failure names the field (`field.path`), never the value. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, field: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const path = firstIssuePath(result.error, '');
    const named = [field, path].filter(Boolean).join('.') || 'input';
    throw new InvalidInputError(named, result.error.issues[0]?.message ?? 'invalid');
  }
  return result.data;
}
