import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../contract';
import type { PlumCredentials } from './client';

const fileSchema = z.record(
  z.string(),
  z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) }).strict(),
);

/** The credentials file could not be used; names the file and the problem, never a value. */
export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

const EXPECTED_SHAPE = 'each company id maps to {"client_id": "…", "client_secret": "…"}';

/** Where in `text` a JSON parse error points, as "line L, column C"; the message itself may quote the file. */
function jsonErrorPlace(text: string, error: unknown): string {
  const position = Number(/position (\d+)/.exec(String(error))?.[1] ?? NaN);
  if (Number.isNaN(position)) return 'unparsable';
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * Reads and checks `PLUM_CREDENTIALS_FILE`: it exists, is JSON, and has the expected shape. Throws
 * {@link CredentialsFileError} naming the file and what is wrong, never a value from it.
 */
export function readCredentialsFile(file: string): Map<string, PlumCredentials> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CredentialsFileError(
      code === 'ENOENT'
        ? `PLUM_CREDENTIALS_FILE ${file} does not exist`
        : `PLUM_CREDENTIALS_FILE ${file} cannot be read (${code})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CredentialsFileError(
      `PLUM_CREDENTIALS_FILE ${file} is not valid JSON (${jsonErrorPlace(text, error)}); ${EXPECTED_SHAPE}`,
    );
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    throw new CredentialsFileError(
      `PLUM_CREDENTIALS_FILE ${file}: ${describeZodError(result.error)}; ${EXPECTED_SHAPE}`,
    );
  }
  return new Map(
    Object.entries(result.data).map(([id, c]) => [id, { clientId: c.client_id, clientSecret: c.client_secret }]),
  );
}
