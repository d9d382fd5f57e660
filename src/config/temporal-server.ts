import { existsSync } from 'node:fs';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import { loadClientConnectConfig } from '@temporalio/envconfig';

type Problems = { variable: string; problem: string }[];

/** Files Temporal's environment configuration reads for TLS; a missing one is named before anything connects. */
const TLS_FILE_VARIABLES = [
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
] as const;

/** How the problems say what names a server. */
export const SERVER_NAMED_BY = 'TEMPORAL_ADDRESS, TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE';

/**
 * The Temporal server the environment names, through Temporal's own environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE` or the default config file, with `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`),
 * as Temporal Cloud users set it up; undefined when nothing names one (the embedded dev server's case). A config file
 * or profile that is named but missing, or names no address, is a problem: never a silent embedded server.
 */
export function temporalServerFrom(
  env: Record<string, string | undefined>,
  problems: Problems,
): ClientConnectConfig | undefined {
  const file = env.TEMPORAL_CONFIG_FILE;
  if (file !== undefined && !existsSync(file)) {
    problems.push({ variable: 'TEMPORAL_CONFIG_FILE', problem: `${file} does not exist` });
    return undefined;
  }
  const missing = TLS_FILE_VARIABLES.filter((name) => env[name] !== undefined && !existsSync(env[name]));
  for (const name of missing) problems.push({ variable: name, problem: `${env[name]} does not exist` });
  if (missing.length > 0) return undefined;
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (error) {
    const variable = env.TEMPORAL_PROFILE !== undefined ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE';
    problems.push({ variable, problem: (error as Error).message.split('\n')[0] ?? 'invalid' });
    return undefined;
  }
  if (loaded.connectionOptions.address) return loaded;
  if (env.TEMPORAL_PROFILE !== undefined || file !== undefined) {
    problems.push({
      variable: env.TEMPORAL_PROFILE !== undefined ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE',
      problem: `names no server address: set "address" in the profile, or TEMPORAL_ADDRESS`,
    });
  }
  return undefined;
}
