import type { JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { trustedKeySource } from '../config/codec-server-settings';

/** Which OIDC access tokens a codec server accepts. */
export interface OidcVerifierOptions {
  issuer: string;
  audience: string;
  /** The issuer's key set; else `jwks_uri` from its discovery document. */
  jwksUrl?: string;
  /** Leeway for clocks that disagree, in seconds (default 30). */
  clockToleranceSeconds?: number;
}

/** An access token was refused; `message` says why in words safe to return (never the token or its claims). */
export class AccessTokenRefusedError extends Error {
  override readonly name = 'AccessTokenRefusedError';
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function refusal(error: unknown): AccessTokenRefusedError {
  if (error instanceof errors.JWTExpired) return new AccessTokenRefusedError('the access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed)
    return new AccessTokenRefusedError(`the access token's "${error.claim}" claim is not the one this server accepts`);
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
    return new AccessTokenRefusedError('the access token is not signed by a key of the configured issuer');
  if (error instanceof errors.JOSEError)
    return new AccessTokenRefusedError(`the access token is invalid (${error.code})`);
  return new AccessTokenRefusedError('the access token could not be checked');
}

/**
 * Verifies the OIDC access tokens the Temporal UI passes for its logged-in users (`passAccessToken`): signature
 * against the issuer's JWKS (fetched once, refreshed on an unknown key id), issuer, audience and expiry.
 */
export class OidcVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly options: OidcVerifierOptions) {}

  /** Resolves for a token the configured issuer signed for the configured audience; else {@link AccessTokenRefusedError}. */
  async verify(token: string): Promise<void> {
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch (error) {
      this.keys = undefined;
      throw new AccessTokenRefusedError(`the issuer's keys could not be fetched (${(error as Error).message})`);
    }
    try {
      await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp'],
      });
    } catch (error) {
      throw refusal(error);
    }
  }

  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.jwksUrl().then((url) => createRemoteJWKSet(new URL(url), { timeoutDuration: 5000 }));
    return this.keys;
  }

  private async jwksUrl(): Promise<string> {
    if (this.options.jwksUrl) return this.trusted(this.options.jwksUrl);
    const issuer = this.trusted(this.options.issuer);
    const discovery = `${withoutTrailingSlash(issuer)}/.well-known/openid-configuration`;
    const response = await fetch(discovery, { signal: AbortSignal.timeout(5000), redirect: 'error' });
    if (!response.ok) throw new Error(`${discovery} answered HTTP ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
    // OpenID Connect Discovery: the document's issuer must be the one asked for, or it speaks for someone else.
    if (typeof document.issuer !== 'string' || withoutTrailingSlash(document.issuer) !== withoutTrailingSlash(issuer))
      throw new Error(`${discovery} names another issuer than the configured ${issuer}`);
    if (typeof document.jwks_uri !== 'string') throw new Error(`${discovery} names no jwks_uri`);
    return this.trusted(document.jwks_uri);
  }

  private trusted(url: string): string {
    if (!trustedKeySource(url)) throw new Error(`${url} is not https (plain http is allowed to loopback only)`);
    return url;
  }
}
