import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
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

/**
 * A local OpenID Connect issuer on loopback: its discovery document and its JWKS (the public half of `key`), as a real
 * identity provider serves them; `jwksRequests` counts key-set fetches.
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

  static async start(): Promise<LocalOidcIssuer> {
    const key = await signingKey('test-key-1');
    const jwk = { ...(await exportJWK(key.publicKey)), kid: key.kid, alg: 'RS256', use: 'sig' };
    let issuer = '';
    const counts = { jwks: 0 };
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }),
        );
      } else if (path === '/jwks') {
        counts.jwks += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [jwk] }));
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
