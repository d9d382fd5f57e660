import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { ConfigError, loadConfig } from '../config';
import type { OperatorKeyRings } from '../config/key-ring-variables';
import { MissingKeyRingError, resolveOperatorKeyRings } from '../config/key-ring-variables';
import { clientFromConfig } from '../connection/client-from-config';
import { TemporalUnavailableError } from '../client/errors';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../contract';
import type { Check } from './check';
import { firstLine } from './check';
import { deploymentCheck } from './deployment-check';
import { credentialsFile, keyRingsRead, workersPolling } from './doctor-fleet';
import { inFlightUpdates } from './doctor-probe';
import { CLI_TYPE_OF } from './setup-namespace';

export type { Check } from './check';
export { IN_FLIGHT_UPDATES_PROBE } from './doctor-probe';

const ok = (name: string, detail: string): Check => ({ name, outcome: 'ok', detail });
const problem = (name: string, detail: string, fix: string): Check => ({ name, outcome: 'problem', detail, fix });
const skipped = (name: string, detail: string): Check => ({ name, outcome: 'skipped', detail });

async function searchAttributes(client: Client, namespace: string): Promise<Check> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const wrong = Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES).filter(
    ([name, type]) => CLI_TYPE_OF[customAttributes?.[name] ?? -1] !== type,
  );
  if (wrong.length === 0) return ok('search attributes', `all four registered in ${namespace}`);
  return problem(
    'search attributes',
    `missing or of the wrong type: ${wrong.map(([name]) => name).join(', ')}`,
    `npx plum-keeper setup-namespace (adds those missing; or: ${wrong
      .map(
        ([name, type]) =>
          `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`,
      )
      .join('; ')})`,
  );
}

async function plumReachable(config: Config): Promise<Check> {
  if (config.plum.mode === 'sandbox') {
    return config.temporal.mode === 'embedded'
      ? skipped('Plum', 'PLUM_BASE_URL unset: the main job runs a local sandbox')
      : skipped(
          'Plum',
          'PLUM_BASE_URL is not set in this shell (operators need no Plum settings): Plum is reached from the workers, whose upstream metrics and logs show it',
        );
  }
  try {
    const response = await fetch(config.plum.baseUrl, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return ok('Plum', `${new URL(config.plum.baseUrl).origin} answered HTTP ${response.status}`);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return problem(
      'Plum',
      `${new URL(config.plum.baseUrl).origin} is unreachable (${code})`,
      'check PLUM_BASE_URL, DNS and the egress firewall (and Plum’s IP whitelist)',
    );
  }
}

/** Runs every check it can; a failed one never stops the rest, only those that need what it failed to give. */
export async function runDoctor(env: Record<string, string | undefined> = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push(ok('configuration', 'every variable parses'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems)
      checks.push(
        problem('configuration', `${p.variable}: ${p.problem}`, `fix ${p.variable} (README.md, configuration table)`),
      );
    return checks;
  }
  let rings: OperatorKeyRings;
  try {
    rings = resolveOperatorKeyRings(config);
  } catch (error) {
    if (!(error instanceof MissingKeyRingError)) throw error;
    checks.push(problem('codec keys', error.message, error.hint), await plumReachable(config));
    return checks;
  }
  checks.push(await plumReachable(config));
  let client: Client;
  try {
    client = await clientFromConfig(config, rings);
    await client.connection.workflowService.getSystemInfo({});
    checks.push(ok('Temporal', `connected to namespace ${config.temporal.namespace}`));
  } catch (error) {
    checks.push(
      problem(
        'Temporal',
        `cannot connect: ${firstLine(error)}`,
        error instanceof TemporalUnavailableError
          ? error.hint
          : 'check TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TLS for a hosted Temporal), or start the main job (npm start)',
      ),
    );
    return checks;
  }
  try {
    const namespace = config.temporal.namespace;
    const { credentialsFile: file, defaultCredentials } = config.plum;
    for (const check of [
      () => searchAttributes(client, namespace),
      () => inFlightUpdates(config, namespace),
      () => workersPolling(client, namespace),
      () => deploymentCheck(client, config.deployment, config.rollout.pollStaleMs),
      () => keyRingsRead(client, rings),
      () => credentialsFile(client, file, defaultCredentials !== undefined),
    ]) {
      const found = await check().catch((error: unknown) => problem('Temporal', firstLine(error), 'see the message'));
      checks.push(...(Array.isArray(found) ? found : [found]));
    }
  } finally {
    await client.connection.close();
  }
  return checks;
}
