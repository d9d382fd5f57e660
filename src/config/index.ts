import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import type { KeyRing } from '../codec/key-ring';
import { KeyRingConfigError, keyRingFromEnv } from '../codec/key-ring';
import { EnrolmentKeyRing, EnrolmentPublicKey } from '../codec/enrolment-seal';
import type { CodecServerSettings } from './codec-server-settings';
import { codecServerSettings } from './codec-server-settings';
import { defaultBuildId } from './release';
import type { RolloutPolicy } from '../deployment/rollout-decision';
import { SERVER_NAMED_BY, temporalServerFrom } from './temporal-server';
import { SECRET_VARIABLES, configVariables } from './variables';

/** Configuration that cannot be used; `problems` names each bad variable. Never carries a secret value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; problem: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n')}\n` +
        'Fix the variables above and start again (see the configuration table in README.md).',
    );
  }
}

/** Defaults for the refresh schedule; a workflow's own `policy` overrides them per company. */
export interface RefreshPolicyDefaults {
  leadFraction: number;
  minLeadMs: number;
  jitterFraction: number;
}

export interface Config {
  temporal:
    | { mode: 'embedded'; namespace: string; port: number; uiPort: number; cliPath?: string }
    | { mode: 'external'; connect: ClientConnectConfig; namespace: string };
  /** Credentials apply in both modes: the embedded sandbox knows companies seeded into it besides the demo. */
  plum: ({ mode: 'sandbox' } | { mode: 'upstream'; baseUrl: string }) & {
    defaultCredentials?: { clientId: string; clientSecret: string };
    credentialsFile?: string;
  };
  httpTimeoutMs: number;
  /** Lifetime of the demo company's sandbox tokens (sandbox mode only). */
  demoTokenLifetimeMs: number;
  policy: RefreshPolicyDefaults;
  refreshActivitiesPerSecond: number;
  /** The least time between two rotations of one company (`PLUM_MIN_ROTATION_INTERVAL_MS`). */
  minRotationIntervalMs: number;
  maxCachedWorkflows: number;
  dataDir: string;
  codec: {
    /** Undefined only in embedded mode, where the main job keeps a generated key under `dataDir`. */
    keyRing?: KeyRing;
    /** The token-sealing ring (`PLUM_TOKEN_KEYS`); undefined only in embedded mode, as `keyRing`. */
    tokenKeyRing?: KeyRing;
    /** The workers' enrolment ring (`PLUM_ENROLMENT_KEYS`, private halves). */
    enrolmentKeys?: EnrolmentKeyRing;
    /** The enrolment public key (`PLUM_ENROLMENT_PUBLIC_KEY`) that processes without the token ring seal sets with. */
    enrolmentPublicKey?: EnrolmentPublicKey;
  } & CodecServerSettings;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'json' | 'pretty';
  /** `/metrics`, `/healthz`, `/readyz`; undefined when turned off. */
  metrics?: { host: string; port: number; pollMs: number };
  /** The status-alert webhook; undefined when not configured. */
  alertWebhook?: { url: string; secret: string };
  /** The Worker Deployment Version workers join; undefined: unversioned workers. */
  deployment?: { deploymentName: string; buildId: string };
  rollout: RolloutPolicy;
}

type Env = Record<string, string | undefined>;

/** A bad value as it may be shown: short, with any `user:password@` of a URL masked. */
function shown(value: string | undefined): string {
  const masked = String(value).replace(/\/\/[^/@\s]*@/, '//***@');
  return masked.length > 40 ? `${masked.slice(0, 40)}…` : masked;
}

/** Reads a secret from `NAME` or from the file named by `NAME_FILE`; never both. */
function secret(env: Env, name: string, problems: ConfigError['problems']): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && file !== undefined) {
    problems.push({ variable: name, problem: `set only one of ${name} and ${name}_FILE` });
    return undefined;
  }
  if (file !== undefined) {
    try {
      const value = readFileSync(file, 'utf8').trim();
      if (value) return value;
      problems.push({ variable: `${name}_FILE`, problem: `the file ${file} is empty` });
    } catch (error) {
      problems.push({
        variable: `${name}_FILE`,
        problem: `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
      });
    }
    return undefined;
  }
  if (direct !== undefined && direct.trim() === '') {
    problems.push({ variable: name, problem: 'is set but empty' });
    return undefined;
  }
  return direct?.trim();
}

/**
 * A key ring from `<prefix>_KEYS(_FILE)`; problems are collected, not thrown. With `requiredBecause` a missing ring
 * is a problem that names the reason.
 */
function readKeyRing(
  env: Env,
  prefix: 'PLUM_CODEC' | 'PLUM_TOKEN',
  problems: ConfigError['problems'],
  requiredBecause?: string,
): KeyRing | undefined {
  try {
    const ring = keyRingFromEnv(env, prefix);
    if (!ring && requiredBecause !== undefined) {
      problems.push({
        variable: `${prefix}_KEYS`,
        problem: `is required with a Temporal server (${SERVER_NAMED_BY}): ${requiredBecause} (id:base64 32-byte key)`,
      });
    }
    return ring;
  } catch (error) {
    if (!(error instanceof KeyRingConfigError)) throw error;
    problems.push({ variable: error.variable, problem: error.message.slice(error.variable.length + 2) });
    return undefined;
  }
}

/** A key of the enrolment pair from `name` or `name_FILE`; problems are collected, not thrown. */
function readEnrolmentKey<T>(
  env: Env,
  name: 'PLUM_ENROLMENT_KEYS' | 'PLUM_ENROLMENT_PUBLIC_KEY',
  parse: (spec: string, variable: string) => T,
  problems: ConfigError['problems'],
): T | undefined {
  const spec = secret(env, name, problems);
  if (spec === undefined) return undefined;
  try {
    return parse(spec, env[`${name}_FILE`] !== undefined ? `${name}_FILE` : name);
  } catch (error) {
    if (!(error instanceof KeyRingConfigError)) throw error;
    problems.push({ variable: error.variable, problem: error.message.slice(error.variable.length + 2) });
    return undefined;
  }
}

/** Parses the whole configuration from the environment, reporting every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: ConfigError['problems'] = [];
  const parsed = configVariables.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0]);
      const echo = SECRET_VARIABLES.includes(variable) ? '' : ` (got "${shown(env[variable])}")`;
      problems.push({ variable, problem: `${issue.message}${echo}` });
    }
  }
  const clientId = secret(env, 'PLUM_CLIENT_ID', problems);
  const clientSecret = secret(env, 'PLUM_CLIENT_SECRET', problems);
  const secretProblems = problems.some((p) => p.variable.startsWith('PLUM_CLIENT_'));
  if ((clientId === undefined) !== (clientSecret === undefined) && !secretProblems) {
    problems.push({
      variable: clientId === undefined ? 'PLUM_CLIENT_ID' : 'PLUM_CLIENT_SECRET',
      problem: 'PLUM_CLIENT_ID and PLUM_CLIENT_SECRET go together: set both or neither',
    });
  }
  const credentialsFile = env.PLUM_CREDENTIALS_FILE;
  if (credentialsFile !== undefined && credentialsFile.trim() === '') {
    problems.push({ variable: 'PLUM_CREDENTIALS_FILE', problem: 'is set but empty' });
  }
  const connect = parsed.success ? temporalServerFrom(env, problems) : undefined;
  const external = connect !== undefined;
  const keyRing = readKeyRing(
    env,
    'PLUM_CODEC',
    problems,
    external ? 'workflow state holds tokens and must be encrypted' : undefined,
  );
  // Not required here: the codec server reads this configuration too and must never hold the token ring. The worker
  // and the CLI require it in external mode (resolveKeyRings).
  const tokenKeyRing = readKeyRing(env, 'PLUM_TOKEN', problems);
  const enrolmentKeys = readEnrolmentKey(env, 'PLUM_ENROLMENT_KEYS', EnrolmentKeyRing.parse, problems);
  const enrolmentPublicKey = readEnrolmentKey(env, 'PLUM_ENROLMENT_PUBLIC_KEY', EnrolmentPublicKey.parse, problems);
  if (enrolmentKeys && enrolmentPublicKey && !enrolmentKeys.holds(enrolmentPublicKey)) {
    problems.push({
      variable: 'PLUM_ENROLMENT_PUBLIC_KEY',
      problem: `key "${enrolmentPublicKey.keyId}" is not the public half of a key in PLUM_ENROLMENT_KEYS (${enrolmentKeys.keyIds.join(', ')})`,
    });
  }
  const codecToken = secret(env, 'PLUM_CODEC_SERVER_TOKEN', problems);
  const webhookSecret = secret(env, 'PLUM_ALERT_WEBHOOK_SECRET', problems);
  if (parsed.success && parsed.data.PLUM_ALERT_WEBHOOK_URL && webhookSecret === undefined) {
    problems.push({
      variable: 'PLUM_ALERT_WEBHOOK_SECRET',
      problem: 'is required with PLUM_ALERT_WEBHOOK_URL: receivers check each alert’s signature with it',
    });
  }

  const codecServer = parsed.success ? codecServerSettings(parsed.data, codecToken, problems) : undefined;
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const vars = parsed.data;
  const dataDir = resolve(vars.PLUM_DATA_DIR);
  const metricsPort = vars.PLUM_METRICS_PORT ?? (connect ? 0 : 9464);
  return {
    temporal: connect
      ? { mode: 'external', connect, namespace: connect.namespace ?? vars.TEMPORAL_NAMESPACE }
      : {
          mode: 'embedded',
          namespace: vars.TEMPORAL_NAMESPACE,
          port: vars.PLUM_EMBEDDED_TEMPORAL_PORT,
          uiPort: vars.TEMPORAL_UI_PORT,
          ...(vars.TEMPORAL_CLI_PATH && { cliPath: vars.TEMPORAL_CLI_PATH }),
        },
    demoTokenLifetimeMs: vars.PLUM_DEMO_TOKEN_LIFETIME_MS,
    plum: {
      ...(vars.PLUM_BASE_URL ? { mode: 'upstream', baseUrl: vars.PLUM_BASE_URL } : { mode: 'sandbox' }),
      ...(clientId && clientSecret && { defaultCredentials: { clientId, clientSecret } }),
      ...(credentialsFile && { credentialsFile: resolve(credentialsFile) }),
    },
    httpTimeoutMs: vars.PLUM_HTTP_TIMEOUT_MS,
    policy: {
      leadFraction: vars.PLUM_LEAD_FRACTION,
      minLeadMs: vars.PLUM_MIN_LEAD_MS,
      jitterFraction: vars.PLUM_JITTER_FRACTION,
    },
    refreshActivitiesPerSecond: vars.PLUM_REFRESH_ACTIVITIES_PER_SECOND,
    minRotationIntervalMs: vars.PLUM_MIN_ROTATION_INTERVAL_MS,
    maxCachedWorkflows: vars.PLUM_MAX_CACHED_WORKFLOWS,
    dataDir,
    codec: {
      ...(keyRing && { keyRing }),
      ...(tokenKeyRing && { tokenKeyRing }),
      ...(enrolmentKeys && { enrolmentKeys }),
      ...(enrolmentPublicKey && { enrolmentPublicKey }),
      ...codecServer!,
    },
    logLevel: vars.PLUM_LOG_LEVEL,
    logFormat: vars.PLUM_LOG_FORMAT ?? (connect ? 'json' : 'pretty'),
    ...(metricsPort !== 0 && {
      metrics: {
        host: vars.PLUM_METRICS_HOST ?? (connect ? '0.0.0.0' : '127.0.0.1'),
        port: metricsPort,
        pollMs: vars.PLUM_METRICS_POLL_MS,
      },
    }),
    ...(vars.PLUM_ALERT_WEBHOOK_URL &&
      webhookSecret && { alertWebhook: { url: vars.PLUM_ALERT_WEBHOOK_URL, secret: webhookSecret } }),
    rollout: {
      mode: vars.PLUM_ROLLOUT,
      rampPercent: vars.PLUM_ROLLOUT_RAMP_PERCENT,
      rampMs: vars.PLUM_ROLLOUT_RAMP_MINUTES * 60_000,
      handoverTimeoutMs: vars.PLUM_HANDOVER_TIMEOUT_MS,
      pollStaleMs: vars.PLUM_POLL_STALE_MS,
    },
    ...((vars.PLUM_WORKER_VERSIONING ?? (connect ? 'on' : 'off')) === 'on' && {
      deployment: { deploymentName: vars.PLUM_DEPLOYMENT_NAME, buildId: vars.PLUM_BUILD_ID || defaultBuildId() },
    }),
  };
}

/**
 * What only the worker needs on top of {@link loadConfig}: API credentials for a real Plum. Operator commands and the
 * codec server never call Plum, so they never need them (a shared env file with `PLUM_BASE_URL` must not stop them).
 */
export function workerConfigProblems(config: Config): ConfigError['problems'] {
  const { plum } = config;
  if (plum.mode !== 'upstream' || plum.defaultCredentials || plum.credentialsFile) return [];
  return [
    {
      variable: 'PLUM_CREDENTIALS_FILE',
      problem:
        'PLUM_BASE_URL is set, so the worker needs API credentials: PLUM_CREDENTIALS_FILE (one client_id/client_secret per company) or PLUM_CLIENT_ID/PLUM_CLIENT_SECRET',
    },
  ];
}

/** Prints one message naming every problem and exits 2; returns when there is none. */
export function exitOnConfigProblems(problems: ConfigError['problems']): void {
  if (problems.length === 0) return;
  process.stderr.write(`${new ConfigError(problems).message}\n`);
  process.exit(2);
}

/** Loads the configuration or, on a problem, prints one message naming every bad variable and exits 2. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitOnConfigProblems(error.problems);
    throw error;
  }
}
