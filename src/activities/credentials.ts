import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { PlumCredentials } from '../plum/client';
import { describeZodError } from '../contract';

const fileSchema = z.record(
  z.string(),
  z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) }).strict(),
);

/** The credentials file could not be used; names the file and the problem, never a value. */
export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

/** Where the worker finds each company's API client credentials. */
export interface CredentialSource {
  /** The credentials for a company, or undefined when there are none (the workflow then waits visibly). */
  forCompany(companyId: string): PlumCredentials | undefined;
}

/**
 * Per-company credentials from `PLUM_CREDENTIALS_FILE` (re-read whenever its modification time or size changes),
 * falling back to the default pair from `PLUM_CLIENT_ID` / `PLUM_CLIENT_SECRET`.
 */
export class FileCredentialSource implements CredentialSource {
  private cache: { stamp: string; entries: Map<string, PlumCredentials> } | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly fallback: PlumCredentials | undefined,
  ) {}

  forCompany(companyId: string): PlumCredentials | undefined {
    return this.fromFile().get(companyId) ?? this.fallback;
  }

  private fromFile(): Map<string, PlumCredentials> {
    if (!this.file) return new Map();
    let stamp: string;
    try {
      const stat = statSync(this.file);
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return new Map();
    }
    if (this.cache?.stamp === stamp) return this.cache.entries;
    let parsed: z.infer<typeof fileSchema>;
    try {
      const json: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      const result = fileSchema.safeParse(json);
      if (!result.success) {
        throw new CredentialsFileError(
          `PLUM_CREDENTIALS_FILE ${this.file}: bad entries (${describeZodError(result.error)})`,
        );
      }
      parsed = result.data;
    } catch (error) {
      if (error instanceof CredentialsFileError) throw error;
      throw new CredentialsFileError(`PLUM_CREDENTIALS_FILE ${this.file} is not valid JSON`);
    }
    const entries = new Map(
      Object.entries(parsed).map(([id, c]) => [id, { clientId: c.client_id, clientSecret: c.client_secret }]),
    );
    this.cache = { stamp, entries };
    return entries;
  }
}

/** Fixed credentials per company (tests, the demo company), over an optional `fallback` for the others. */
export class StaticCredentialSource implements CredentialSource {
  constructor(
    private readonly entries: Map<string, PlumCredentials> = new Map(),
    private readonly fallback?: CredentialSource,
  ) {}
  set(companyId: string, credentials: PlumCredentials): void {
    this.entries.set(companyId, credentials);
  }
  forCompany(companyId: string): PlumCredentials | undefined {
    return this.entries.get(companyId) ?? this.fallback?.forCompany(companyId);
  }
}
