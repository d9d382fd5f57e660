import { createHash } from 'node:crypto';
import { TokenKeeperClient } from '../../src/client';
import { TEST_KEY_ENV_VARS } from './codec';
import type { KeeperEnv } from './keeper-env';
import { enrol } from './keeper-env';
import { credentialsOf, uniqueCompanyId } from './sandbox';

/**
 * Enrols a sandbox company with one Super Admin on a running worker and returns what another language's client tests
 * read from their environment (docs/wire-protocol.md is all they know besides): server, company, sandbox, key rings,
 * and the digest of the token the TypeScript client reads, never the token.
 */
export async function clientTestEnv(
  env: KeeperEnv,
  taskQueue: string,
): Promise<{ vars: Record<string, string>; token: string }> {
  const companyId = uniqueCompanyId('lang');
  const admin = `admin@${companyId}.test`;
  const seeded = await env.sandbox.seedCompany({ companyId, admins: [admin] });
  env.credentials.set(companyId, credentialsOf(seeded));
  await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens });
  const token = await new TokenKeeperClient({ client: env.client, taskQueue }).getAccessToken(companyId);
  return {
    token: token.accessToken,
    vars: {
      PLUM_TEST_TEMPORAL_ADDRESS: env.server.address,
      PLUM_TEST_NAMESPACE: env.server.namespace,
      PLUM_TEST_COMPANY: companyId,
      PLUM_TEST_ADMIN_EMAIL: admin,
      PLUM_TEST_SANDBOX_URL: env.sandbox.url,
      PLUM_TEST_TOKEN_DIGEST: createHash('sha256').update(token.accessToken).digest('hex'),
      ...TEST_KEY_ENV_VARS,
    },
  };
}
