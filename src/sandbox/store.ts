import { randomBytes } from 'node:crypto';

/** How a rotated refresh token behaves: dead at once (reference) or alive for a grace window (guide). */
export type RotationMode = 'strict' | 'grace';

export interface SandboxOptions {
  accessLifetimeMs: number;
  refreshLifetimeMs: number;
  userTokenLifetimeMs: number;
  rotation: RotationMode;
  /** How long a spent refresh token still works in `grace` mode. */
  graceMs: number;
  /** Active token pairs a client may hold; the oldest is evicted beyond this. */
  maxActivePairs: number;
  /** Calls per company (or per bearer token) allowed in each `rateLimitWindowMs`; 0 disables. */
  rateLimitPerWindow: number;
  rateLimitWindowMs: number;
  /** `penaltySeconds` sent with a rate-limit reply. */
  penaltySeconds: number;
  /** Emit `expires_in` and the expiries as numeric strings, as some specs show. */
  numericStrings: boolean;
}

export const DEFAULT_SANDBOX_OPTIONS: SandboxOptions = {
  accessLifetimeMs: 15 * 24 * 3600_000,
  refreshLifetimeMs: 30 * 24 * 3600_000,
  userTokenLifetimeMs: 15 * 24 * 3600_000,
  rotation: 'strict',
  graceMs: 6 * 3600_000,
  maxActivePairs: 10,
  rateLimitPerWindow: 0,
  rateLimitWindowMs: 60_000,
  penaltySeconds: 60,
  numericStrings: false,
};

/** How a token was killed, which decides the error shape Plum answers with. */
export type KillKind = 'password_reset' | 'tokens_regenerated';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  /** When the refresh token was spent; strict mode rejects it from then on, grace mode after `graceMs`. */
  spentAt?: number;
  killed?: KillKind;
  evicted?: boolean;
  /** When the refresh call that issued this pair reached the sandbox (before any injected latency). */
  requestedAt?: number;
}

export interface UserToken {
  companyId: string;
  email: string;
  scope: string;
  pair: TokenPair;
}

export interface SandboxCompany {
  companyId: string;
  clientId: string;
  clientSecret: string;
  disabled: boolean;
  ipWhitelisted: boolean;
  /** Super Admin e-mails allowed to get user tokens; empty means any well-formed address. */
  admins: string[];
  disabledUsers: Set<string>;
  /** Every pair ever issued, oldest first. */
  pairs: TokenPair[];
}

export interface SeedCompanyInput {
  companyId: string;
  clientId?: string;
  clientSecret?: string;
  admins?: string[];
}

export interface SeededCompany {
  companyId: string;
  clientId: string;
  clientSecret: string;
  tokens: {
    access_token: string;
    token_type: 'bearer';
    expires_in: number;
    refresh_token: string;
    access_token_expiry: number;
    refresh_token_expiry: number;
  };
}

export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** The sandbox's companies and tokens, with Plum's rotation rules; no HTTP here. */
export class SandboxStore {
  readonly companies = new Map<string, SandboxCompany>();
  readonly userTokens = new Map<string, UserToken>();

  constructor(
    public options: SandboxOptions,
    private readonly now: () => number,
  ) {}

  seed(input: SeedCompanyInput): SeededCompany {
    const company: SandboxCompany = {
      companyId: input.companyId,
      clientId: input.clientId ?? newToken('sbx_client_'),
      clientSecret: input.clientSecret ?? newToken('sbx_secret_'),
      disabled: false,
      ipWhitelisted: true,
      admins: input.admins ?? [],
      disabledUsers: new Set(),
      pairs: [],
    };
    this.companies.set(company.companyId, company);
    const pair = this.issuePair(company);
    return {
      companyId: company.companyId,
      clientId: company.clientId,
      clientSecret: company.clientSecret,
      tokens: this.grant(pair),
    };
  }

  /** Issues a new pair for the company, evicting the oldest active pairs past `maxActivePairs`. */
  issuePair(company: SandboxCompany, requestedAt?: number): TokenPair {
    const now = this.now();
    const pair: TokenPair = {
      accessToken: newToken('sbx_at_'),
      refreshToken: newToken('sbx_rt_'),
      accessExpiresAt: now + this.options.accessLifetimeMs,
      refreshExpiresAt: now + this.options.refreshLifetimeMs,
      ...(requestedAt !== undefined && { requestedAt }),
    };
    company.pairs.push(pair);
    const active = company.pairs.filter((p) => !p.evicted && !p.killed);
    for (const old of active.slice(0, Math.max(0, active.length - this.options.maxActivePairs))) old.evicted = true;
    return pair;
  }

  grant(pair: TokenPair) {
    return {
      access_token: pair.accessToken,
      token_type: 'bearer' as const,
      expires_in: Math.max(0, Math.round((pair.accessExpiresAt - this.now()) / 1000)),
      refresh_token: pair.refreshToken,
      access_token_expiry: pair.accessExpiresAt,
      refresh_token_expiry: pair.refreshExpiresAt,
    };
  }

  findByClientId(clientId: string): SandboxCompany | undefined {
    for (const company of this.companies.values()) if (company.clientId === clientId) return company;
    return undefined;
  }

  findPairByRefreshToken(company: SandboxCompany, refreshToken: string): TokenPair | undefined {
    return company.pairs.find((p) => p.refreshToken === refreshToken);
  }

  /** Finds whose access token this is: a company pair or a user token. */
  findAccessToken(accessToken: string): { company: SandboxCompany; pair: TokenPair; user?: UserToken } | undefined {
    for (const company of this.companies.values()) {
      const pair = company.pairs.find((p) => p.accessToken === accessToken);
      if (pair) return { company, pair };
    }
    for (const user of this.userTokens.values()) {
      if (user.pair.accessToken === accessToken) {
        const company = this.companies.get(user.companyId);
        if (company) return { company, pair: user.pair, user };
      }
    }
    return undefined;
  }

  /** Whether a spent refresh token may still be used right now. */
  spentTokenUsable(pair: TokenPair): boolean {
    if (pair.spentAt === undefined) return true;
    return this.options.rotation === 'grace' && this.now() < pair.spentAt + this.options.graceMs;
  }

  accessTokenUsable(pair: TokenPair): boolean {
    return !pair.killed && !pair.evicted && this.now() < pair.accessExpiresAt;
  }

  /** Kills every pair of the company (and its users' tokens), as a password reset or a token regeneration does. */
  kill(companyId: string, kind: KillKind): void {
    const company = this.requireCompany(companyId);
    for (const pair of company.pairs) pair.killed ??= kind;
    for (const user of this.userTokens.values()) if (user.companyId === companyId) user.pair.killed ??= kind;
  }

  requireCompany(companyId: string): SandboxCompany {
    const company = this.companies.get(companyId);
    if (!company) throw new Error(`sandbox: no company "${companyId}" is seeded`);
    return company;
  }

  /** The newest token set of a company, for tests that play the dashboard's "Generate New Tokens". */
  regenerate(companyId: string): SeededCompany['tokens'] {
    const company = this.requireCompany(companyId);
    for (const pair of company.pairs) pair.killed ??= 'tokens_regenerated';
    return this.grant(this.issuePair(company));
  }
}
