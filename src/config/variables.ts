import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../contract';
import { z } from 'zod';
import { codecServerVariables } from './codec-server-variables';
import { workerVersioningVariables } from './versioning-variables';
import type { VariableDoc } from './variable-kinds';
import { DAY_MS, decimal, doc, port } from './variable-kinds';

export type { VariableDoc } from './variable-kinds';

/** Every environment variable the keeper reads, with its check, default and documentation. */
export const configVariables = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
    .optional()
    .meta(
      doc({
        description:
          '`host:port` of a Temporal frontend. Unset, and no Temporal profile (`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`) names one: the main job starts `temporal server start-dev` (SQLite under `PLUM_DATA_DIR`, UI on `TEMPORAL_UI_PORT`).',
        defaultText: 'unset → a profile’s address, else embedded dev server',
      }),
    ),
  TEMPORAL_NAMESPACE: z
    .string()
    .min(1)
    .default('default')
    .meta(doc({ description: 'Temporal namespace' })),
  TEMPORAL_UI_PORT: port()
    .default(8233)
    .meta(doc({ description: 'UI port of the embedded dev server' })),
  PLUM_EMBEDDED_TEMPORAL_PORT: port()
    .default(7233)
    .meta(doc({ description: 'frontend port of the embedded dev server' })),
  TEMPORAL_CLI_PATH: z
    .string()
    .min(1)
    .optional()
    .meta(
      doc({ description: 'path of the `temporal` CLI for the embedded server (else `PATH`, then Go’s bin folder)' }),
    ),
  PLUM_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://accounts.xoxoday.com/chef' })
    .optional()
    .meta(
      doc({
        description:
          'Plum base URL including `/chef`, e.g. `https://accounts.xoxoday.com/chef`. Unset: a local Plum sandbox is started, loudly.',
        defaultText: 'unset → sandbox',
      }),
    ),
  PLUM_CLIENT_ID: z
    .string()
    .optional()
    .meta(doc({ description: 'default API client id; set with `PLUM_CLIENT_SECRET` or not at all', secret: true })),
  PLUM_CLIENT_SECRET: z
    .string()
    .optional()
    .meta(doc({ description: 'default API client secret', secret: true })),
  PLUM_CREDENTIALS_FILE: z
    .string()
    .optional()
    .meta(
      doc({
        description: 'JSON `{companyId: {client_id, client_secret}}` for per-company credentials, re-read on change',
      }),
    ),
  PLUM_HTTP_TIMEOUT_MS: decimal(100, 600_000, { integer: true })
    .default(15_000)
    .meta(doc({ description: 'deadline of one Plum call' })),
  PLUM_LEAD_FRACTION: decimal(0, 0.9)
    .default(0.5)
    .meta(doc({ description: 'refresh when this fraction of the token lifetime is left (0–0.9)' })),
  PLUM_MIN_LEAD_MS: decimal(0, 30 * DAY_MS, { integer: true })
    .default(5 * 60_000)
    .meta(doc({ description: 'refresh at least this long before expiry' })),
  PLUM_JITTER_FRACTION: decimal(0, 1)
    .default(0.1)
    .meta(doc({ description: 'random spread of refresh times, as a fraction of the lead (0–1)' })),
  PLUM_REFRESH_ACTIVITIES_PER_SECOND: decimal(0.01, 10_000)
    .default(5)
    .meta(doc({ description: 'cap on Plum calls (activities) per second across the whole task queue' })),
  PLUM_MAX_CACHED_WORKFLOWS: decimal(2, 1_000_000, { integer: true })
    .default(DEFAULT_MAX_CACHED_WORKFLOWS)
    .meta(
      doc({
        description:
          'company workflows a worker keeps in memory (about 0.4 MB each); the rest replay from history when they next wake or are queried',
      }),
    ),
  PLUM_DATA_DIR: z
    .string()
    .min(1)
    .default('.data')
    .meta(doc({ description: 'where the embedded server keeps its SQLite file and the embedded demo its key' })),
  PLUM_DEMO_TOKEN_LIFETIME_MS: decimal(10_000, 30 * DAY_MS, { integer: true })
    .default(240_000)
    .meta(doc({ description: 'lifetime of the embedded demo company’s sandbox tokens' })),
  PLUM_LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'])
    .default('info')
    .meta(doc({ description: '`debug`, `info`, `warn`, `error`' })),
  PLUM_LOG_FORMAT: z
    .enum(['json', 'pretty'], { error: 'must be json or pretty' })
    .optional()
    .meta(
      doc({
        description: '`json` (one object per line, for log collectors) or `pretty` (readable lines)',
        defaultText: 'embedded: `pretty`; with `TEMPORAL_ADDRESS`: `json`',
      }),
    ),
  PLUM_METRICS_PORT: decimal(0, 65_535, { integer: true })
    .optional()
    .meta(
      doc({
        description:
          'port serving `/metrics` (Prometheus: the Temporal SDK’s metrics and the keeper’s), `/healthz` and `/readyz`; `0` turns it off',
        defaultText: 'embedded: `9464`; with `TEMPORAL_ADDRESS`: off',
      }),
    ),
  PLUM_METRICS_HOST: z
    .string()
    .min(1)
    .optional()
    .meta(
      doc({
        description: 'interface the metrics port listens on',
        defaultText: 'embedded: `127.0.0.1`; with `TEMPORAL_ADDRESS`: `0.0.0.0`',
      }),
    ),
  PLUM_METRICS_POLL_MS: decimal(1000, 3_600_000, { integer: true })
    .default(30_000)
    .meta(
      doc({
        description:
          'how often the worker counts companies by status and finds the soonest expiry (visibility queries) for the gauges',
      }),
    ),
  PLUM_MIN_ROTATION_INTERVAL_MS: decimal(1000, DAY_MS, { integer: true })
    .default(30_000)
    .meta(
      doc({
        description:
          'no rotation starts sooner than this after the previous one, forced or scheduled, so a zero or tiny lifetime from Plum cannot become a refresh storm; a hold is said in the status (`rotationHeld`) and by `rotate --wait`; one past the token’s expiry (Plum’s lifetime shorter than this) makes the company DEGRADED, with an alert, until the refresh runs',
      }),
    ),
  ...workerVersioningVariables,
  PLUM_ALERT_WEBHOOK_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .meta(
      doc({
        description:
          'receives a signed JSON POST when a company enters `NEEDS_REAUTH`, `EXPIRED` or `DEGRADED`, and when it recovers (needs `PLUM_ALERT_WEBHOOK_SECRET`)',
        defaultText: 'unset → no webhook',
      }),
    ),
  PLUM_ALERT_WEBHOOK_SECRET: z
    .string()
    .optional()
    .meta(
      doc({
        description: 'HMAC-SHA256 key that signs each alert (`x-plum-keeper-signature: sha256=…`)',
        secret: true,
      }),
    ),
  PLUM_CODEC_KEYS: z
    .string()
    .optional()
    .meta(
      doc({
        description:
          'payload-encryption key ring, `id:base64(32 bytes)` pairs separated by commas; required with `TEMPORAL_ADDRESS`',
        defaultText: 'embedded: generated in `PLUM_DATA_DIR`',
        secret: true,
      }),
    ),
  PLUM_CODEC_ACTIVE_KEY_ID: z
    .string()
    .optional()
    .meta(doc({ description: 'the key that encrypts new payloads', defaultText: 'the last key listed' })),
  PLUM_TOKEN_KEYS: z
    .string()
    .optional()
    .meta(
      doc({
        description:
          'token-sealing key ring (same format): seals token values inside payloads; workers and token-reading services hold it, the codec server never does; required with `TEMPORAL_ADDRESS`',
        defaultText: 'embedded: generated in `PLUM_DATA_DIR`',
        secret: true,
      }),
    ),
  PLUM_TOKEN_ACTIVE_KEY_ID: z
    .string()
    .optional()
    .meta(doc({ description: 'the token key that seals new values', defaultText: 'the last key listed' })),
  PLUM_ENROLMENT_KEYS: z
    .string()
    .optional()
    .meta(
      doc({
        description:
          'enrolment key ring of the workers, `id:base64(32-byte X25519 private key)` pairs (`npm run secrets` makes one); opens the token sets operators, services and the codec server send sealed with its public half; workers only. Unset: a set sealed for it is refused, visibly',
        defaultText: 'embedded: generated in `PLUM_DATA_DIR`',
        secret: true,
      }),
    ),
  PLUM_ENROLMENT_PUBLIC_KEY: z
    .string()
    .optional()
    .meta(
      doc({
        description:
          'public half of the active enrolment key, `id:base64(32 bytes)`: a process without `PLUM_TOKEN_KEYS` (the CLI’s `enrol`/`reseed`, a service, the codec server) seals the token sets it sends with it, so they never reach history readable with the payload ring; it opens nothing. Printed by `npm run secrets`',
        defaultText: 'embedded: derived from the local enrolment key',
        secret: true,
      }),
    ),
  ...codecServerVariables,
});

/** The variables whose values are secrets: read through {@link readSecret}, never parsed or echoed here. */
export const SECRET_VARIABLES = Object.entries(configVariables.shape)
  .filter(([, schema]) => (z.globalRegistry.get(schema) as VariableDoc | undefined)?.secret)
  .map(([name]) => name);

/** One row per variable, in schema order, for the README's configuration table. */
export function variableDocs(): { name: string; defaultText: string; description: string; secret: boolean }[] {
  return Object.entries(configVariables.shape).map(([name, schema]) => {
    const meta = z.globalRegistry.get(schema) as VariableDoc | undefined;
    const def = (schema as { def: { defaultValue?: unknown } }).def.defaultValue;
    return {
      name,
      defaultText: meta?.defaultText ?? (def === undefined ? '–' : `\`${String(def)}\``),
      description: meta?.description ?? '',
      secret: meta?.secret === true,
    };
  });
}

/** The README's configuration table as Markdown. */
export function configTableMarkdown(): string {
  const rows = variableDocs().map((v) => {
    const name = v.secret ? `\`${v.name}\` (or \`${v.name}_FILE\`)` : `\`${v.name}\``;
    return `| ${name} | ${v.defaultText} | ${v.description} |`;
  });
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '| `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE` | – | read by `@temporalio/envconfig` with their usual meaning; a profile that names an address (Temporal Cloud’s) selects production mode without `TEMPORAL_ADDRESS`, and a named file or profile that is missing or names no address is refused |',
  ].join('\n');
}
