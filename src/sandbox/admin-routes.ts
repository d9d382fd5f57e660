import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { SandboxControl } from './control';
import { ADMIN_PREFIX } from './control';
import type { Reply } from './replies';
import { SANDBOX_ENDPOINTS } from './faults';

const seedInput = z.object({
  companyId: z.string().min(1),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  admins: z.array(z.string()).optional(),
});
const faultInput = z.object({
  endpoint: z.enum(SANDBOX_ENDPOINTS),
  fault: z.looseObject({ kind: z.string(), times: z.number().int().positive().optional() }),
});
const killInput = z.object({ kind: z.enum(['password_reset', 'tokens_regenerated']) });
const flagInput = z.object({ value: z.boolean() });
const userFlagInput = z.object({ email: z.string(), value: z.boolean() });
const optionsInput = z
  .object({
    accessLifetimeMs: z.number().int().positive(),
    refreshLifetimeMs: z.number().int().positive(),
    userTokenLifetimeMs: z.number().int().positive(),
    rotation: z.enum(['strict', 'grace']),
    graceMs: z.number().int().nonnegative(),
    maxActivePairs: z.number().int().positive(),
    rateLimitPerWindow: z.number().int().nonnegative(),
    rateLimitWindowMs: z.number().int().positive(),
    penaltySeconds: z.number().int().nonnegative(),
    numericStrings: z.boolean(),
  })
  .partial()
  .strict();

const ok = (body: unknown = { ok: true }): Reply => ({ status: 200, body });

/** Serves `/__sandbox/*`: seed, stats, faults, kills and switches, for tests in other processes. */
export async function handleAdmin(
  sandbox: SandboxControl,
  adminToken: string | undefined,
  req: IncomingMessage,
  url: URL,
  text: string,
): Promise<Reply> {
  if (adminToken !== undefined && req.headers.authorization !== `Bearer ${adminToken}`) {
    return { status: 401, body: { error: 'admin token required' } };
  }
  let body: unknown = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    return { status: 400, body: { error: 'body must be JSON' } };
  }
  const route = `${req.method} ${url.pathname.slice(ADMIN_PREFIX.length)}`;
  const company = /^POST companies\/([^/]+)\/(kill|regenerate|disabled|whitelisted|users-disabled)$/.exec(route);
  try {
    if (route === 'POST companies') return ok(await sandbox.seedCompany(seedInput.parse(body)));
    if (route === 'GET stats') return ok(await sandbox.stats());
    if (route === 'POST faults') {
      const { endpoint, fault } = faultInput.parse(body);
      await sandbox.injectFault(endpoint, fault as never);
      return ok();
    }
    if (route === 'DELETE faults') return ok(await sandbox.clearFaults());
    if (route === 'PATCH options') return ok(await sandbox.setOptions(optionsInput.parse(body)));
    if (company) {
      const id = decodeURIComponent(company[1] ?? '');
      switch (company[2]) {
        case 'kill':
          return ok(await sandbox.killTokens(id, killInput.parse(body).kind));
        case 'regenerate':
          return ok(await sandbox.regenerateTokens(id));
        case 'disabled':
          return ok(await sandbox.setCompanyDisabled(id, flagInput.parse(body).value));
        case 'whitelisted':
          return ok(await sandbox.setIpWhitelisted(id, flagInput.parse(body).value));
        case 'users-disabled': {
          const input = userFlagInput.parse(body);
          return ok(await sandbox.setUserDisabled(id, input.email, input.value));
        }
      }
    }
    return { status: 404, body: { error: `no admin route ${route}` } };
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
    return { status: 400, body: { error: message } };
  }
}
