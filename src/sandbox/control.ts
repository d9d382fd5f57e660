import type { Fault, SandboxEndpoint } from './faults';
import type { KillKind, SandboxOptions, SeedCompanyInput, SeededCompany } from './store';

/** Path prefix of the routes through which another process steers the sandbox. */
export const ADMIN_PREFIX = '/__sandbox/';

/** The outcome of one call, as counted. */
export type CallOutcome =
  | 'ok'
  | 'rejected'
  | 'rate_limited'
  | 'server_error'
  | 'reset'
  | 'dropped'
  | 'malformed'
  | 'injected_error'
  | 'injected_reply';

/** Emitted on `calls` after every call, once its reply (or lack of one) is settled. */
export interface CallEvent {
  endpoint: SandboxEndpoint;
  outcome: CallOutcome;
  companyId?: string;
  /** True when the call took effect upstream (a rotation, a user token issued). */
  committed: boolean;
}

export interface SandboxStats {
  calls: Record<SandboxEndpoint, Partial<Record<CallOutcome, number>>>;
  /** Committed rotations per company. */
  rotations: Record<string, number>;
}

/** The operations a test or another process uses to steer the sandbox; implemented locally and over HTTP. */
export interface SandboxControl {
  seedCompany(input: SeedCompanyInput): Promise<SeededCompany>;
  stats(): Promise<SandboxStats>;
  injectFault(endpoint: SandboxEndpoint, fault: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  killTokens(companyId: string, kind: KillKind): Promise<void>;
  regenerateTokens(companyId: string): Promise<SeededCompany['tokens']>;
  setCompanyDisabled(companyId: string, disabled: boolean): Promise<void>;
  setIpWhitelisted(companyId: string, whitelisted: boolean): Promise<void>;
  setUserDisabled(companyId: string, email: string, disabled: boolean): Promise<void>;
  setOptions(options: Partial<SandboxOptions>): Promise<void>;
}
