import { createHash } from 'node:crypto';
import { TokenKeeperClient } from '../../src/client';
import { TEST_KEY_ENV_VARS } from './codec';
import type { KeeperEnv } from './keeper-env';
import { enrol, withWorker } from './keeper-env';
import { credentialsOf, uniqueCompanyId } from './sandbox';
import { waitFor } from './wait';

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
  const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
  const token = await keeper.getAccessToken(companyId);

  // A company Plum has cut off: its tokens regenerated in the dashboard, so the next refresh is refused for good.
  const reauthId = uniqueCompanyId('lang-reauth');
  const reauth = await env.sandbox.seedCompany({ companyId: reauthId });
  env.credentials.set(reauthId, credentialsOf(reauth));
  await enrol(env.client, taskQueue, { companyId: reauthId, tokens: reauth.tokens });
  await env.sandbox.killTokens(reauthId, 'tokens_regenerated');
  await keeper.forceRefresh(reauthId, 'client tests: a company that needs a person');
  await waitFor(
    'the cut-off company to need a person',
    async () => (await keeper.status(reauthId)).status === 'NEEDS_REAUTH',
  );
  const { reason } = await keeper.status(reauthId);

  // A company whose access token has expired and cannot be refreshed (no API credentials on the worker).
  const expiredId = uniqueCompanyId('lang-expired');
  const expired = await env.sandbox.seedCompany({ companyId: expiredId });
  await enrol(env.client, taskQueue, {
    companyId: expiredId,
    tokens: { ...expired.tokens, access_token_expiry: Date.now() - 60_000, expires_in: undefined },
  });
  // A company whose keeper's worker is gone (it ran on a task queue no worker polls any more): Temporal answers, no
  // worker does.
  const orphanId = uniqueCompanyId('lang-orphan');
  const orphan = await env.sandbox.seedCompany({ companyId: orphanId });
  await withWorker(env, (queue) => enrol(env.client, queue, { companyId: orphanId, tokens: orphan.tokens }));
  return {
    token: token.accessToken,
    vars: {
      PLUM_TEST_REAUTH_COMPANY: reauthId,
      PLUM_TEST_REAUTH_REASON: reason ?? '',
      PLUM_TEST_EXPIRED_COMPANY: expiredId,
      PLUM_TEST_ORPHAN_COMPANY: orphanId,
      // A payload ring whose only key is not the one the keeper's payloads are under.
      PLUM_TEST_OTHER_CODEC_KEYS: `other-1:${Buffer.alloc(32, 7).toString('base64')}`,
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
