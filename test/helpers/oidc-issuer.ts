import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWTPayload } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/** A key pair that signs access tokens, with the key id its JWKS names. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicKey };
}

/** Signs an access token with `key` (RS256), valid for `lifetimeSeconds` from `issuedAt` (epoch seconds). */
export function signAccessToken(
  key: SigningKey,
  claims: JWTPayload & { iss: string; aud: string },
  options: { issuedAt?: number; lifetimeSeconds?: number } = {},
): Promise<string> {
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.lifetimeSeconds ?? 300))
    .sign(key.privateKey);
}

/** The one user of the local provider, and the audience its access tokens carry. */
export interface LoginSettings {
  clientId: string;
  clientSecret: string;
  accessTokenAudience: string;
  user: { email: string; name: string };
}

/**
 * A local OpenID Connect provider on loopback, as a real identity provider serves one: discovery, JWKS (the public
 * half of `key`), and, given `login`, the authorisation-code flow for one user who is signed in at once (`/authorize`
 * redirects back with a code; `/token` answers an ID token for the client and an access token for the API audience).
 * `jwksRequests` counts key-set fetches.
 */
export class LocalOidcIssuer {
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly key: SigningKey,
    private readonly counts: { jwks: number },
  ) {}

  /** How many times the key set was fetched. */
  get jwksRequests(): number {
    return this.counts.jwks;
  }

  static async start(login?: LoginSettings): Promise<LocalOidcIssuer> {
    const key = await signingKey('test-key-1');
    const jwk = { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: 'RS256', use: 'sig' };
    let issuer = '';
    const counts = { jwks: 0 };
    const codes = new Map<string, string>();
    const json = (res: ServerResponse, status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/.well-known/openid-configuration') {
        json(res, 200, {
          issuer,
          jwks_uri: `${issuer}/jwks`,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      } else if (url.pathname === '/jwks') {
        counts.jwks += 1;
        json(res, 200, { keys: [jwk] });
      } else if (url.pathname === '/authorize' && login) {
        const code = randomUUID();
        codes.set(code, url.searchParams.get('nonce') ?? '');
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.toString() }).end();
      } else if (url.pathname === '/token' && login && req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const code = new URLSearchParams(body).get('code') ?? '';
          const nonce = codes.get(code);
          codes.delete(code);
          if (nonce === undefined) return json(res, 400, { error: 'invalid_grant' });
          const claims = { sub: login.user.email, ...login.user, iss: issuer };
          void Promise.all([
            signAccessToken(key, { ...claims, aud: login.clientId, nonce }),
            signAccessToken(key, { ...claims, aud: login.accessTokenAudience }),
          ]).then(([idToken, accessToken]) =>
            json(res, 200, { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 300 }),
          );
        });
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new LocalOidcIssuer(server, issuer, key, counts);
  }

  /** An access token this issuer signs for `audience`. */
  sign(audience: string, options: { issuedAt?: number; lifetimeSeconds?: number } = {}): Promise<string> {
    return signAccessToken(this.key, { iss: this.issuer, aud: audience, sub: 'on-call@example.com' }, options);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
