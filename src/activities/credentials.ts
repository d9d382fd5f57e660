import { statSync } from 'node:fs';
import type { PlumCredentials } from '../plum/client';
import { readCredentialsFile } from '../plum/credentials-file';

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
    const entries = readCredentialsFile(this.file);
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
