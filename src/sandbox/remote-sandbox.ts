import type { Fault, SandboxEndpoint } from './faults';
import type { SandboxControl, SandboxStats } from './control';
import type { KillKind, SandboxOptions, SeedCompanyInput, SeededCompany } from './store';
import { ADMIN_PREFIX } from './control';

/** Steers a sandbox running in another process through its admin routes. */
export class RemoteSandbox implements SandboxControl {
  private readonly root: string;

  /** @param url the sandbox base URL as it prints it (ending in `/chef`). */
  constructor(
    url: string,
    private readonly adminToken?: string,
  ) {
    this.root = new URL(url).origin + ADMIN_PREFIX;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    const res = await fetch(this.root + path, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path}: ${json.error ?? res.status}`);
    return json;
  }

  seedCompany(input: SeedCompanyInput): Promise<SeededCompany> {
    return this.call('POST', 'companies', input);
  }
  stats(): Promise<SandboxStats> {
    return this.call('GET', 'stats');
  }
  async injectFault(endpoint: SandboxEndpoint, fault: Fault): Promise<void> {
    await this.call('POST', 'faults', { endpoint, fault });
  }
  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }
  async killTokens(companyId: string, kind: KillKind): Promise<void> {
    await this.call('POST', `companies/${encodeURIComponent(companyId)}/kill`, { kind });
  }
  regenerateTokens(companyId: string): Promise<SeededCompany['tokens']> {
    return this.call('POST', `companies/${encodeURIComponent(companyId)}/regenerate`, {});
  }
  async setCompanyDisabled(companyId: string, value: boolean): Promise<void> {
    await this.call('POST', `companies/${encodeURIComponent(companyId)}/disabled`, { value });
  }
  async setIpWhitelisted(companyId: string, value: boolean): Promise<void> {
    await this.call('POST', `companies/${encodeURIComponent(companyId)}/whitelisted`, { value });
  }
  async setUserDisabled(companyId: string, email: string, value: boolean): Promise<void> {
    await this.call('POST', `companies/${encodeURIComponent(companyId)}/users-disabled`, { email, value });
  }
  async setOptions(options: Partial<SandboxOptions>): Promise<void> {
    await this.call('PATCH', 'options', options);
  }
}
