import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ConfigError } from '../src/config';
import { loadConfig, workerConfigProblems } from '../src/config';
import { TEST_KEYS_ENV } from './helpers/codec';

const SECRET = 'sbx_secret_do-not-print-me';

/** Every problem `loadConfig` names for `env`, or none. */
function problemsOf(env: Record<string, string>): ConfigError['problems'] {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
}

function runMain(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('PLUM_') && !k.startsWith('TEMPORAL_')),
  );
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('configuration', () => {
  it('bad configuration: exit 2, one message naming every bad variable, no stack, no secret', () => {
    const result = runMain({
      PLUM_BASE_URL: 'ftp://plum.example',
      PLUM_LEAD_FRACTION: 'half',
      PLUM_MIN_LEAD_MS: '-1',
      TEMPORAL_ADDRESS: 'not an address',
      PLUM_CLIENT_SECRET: SECRET,
      PLUM_CLIENT_ID_FILE: '/nonexistent/client-id',
    });
    assert.equal(result.status, 2, result.stderr);
    for (const variable of [
      'PLUM_BASE_URL',
      'PLUM_LEAD_FRACTION',
      'PLUM_MIN_LEAD_MS',
      'TEMPORAL_ADDRESS',
      'PLUM_CLIENT_ID_FILE',
    ]) {
      assert.match(result.stderr, new RegExp(`^  ${variable}: `, 'm'), `${variable} is not named`);
    }
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'a stack trace was printed');
    assert.ok(!result.stderr.includes(SECRET) && !result.stdout.includes(SECRET), 'a secret was echoed');
    assert.equal(result.stdout, '');
  });

  it('a lone secret names its missing partner', () => {
    const result = runMain({ PLUM_CLIENT_SECRET: SECRET });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /PLUM_CLIENT_ID: PLUM_CLIENT_ID and PLUM_CLIENT_SECRET go together/);
    assert.ok(!result.stderr.includes(SECRET));
  });

  it('defaults to embedded Temporal and the sandbox', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.mode, 'embedded');
    assert.equal(config.plum.mode, 'sandbox');
    assert.deepEqual(config.policy, { leadFraction: 0.5, minLeadMs: 300_000, jitterFraction: 0.1 });
  });

  it('reads secrets from *_FILE variables and takes the production shape from env alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plum-config-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    // An empty Temporal config file, so no file of this machine's user is read.
    writeFileSync(join(dir, 'empty.toml'), '[profile.default]\n');
    const config = loadConfig({
      PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef',
      PLUM_CLIENT_ID: 'client-1',
      PLUM_CLIENT_SECRET_FILE: join(dir, 'secret'),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'payments',
      TEMPORAL_CONFIG_FILE: join(dir, 'empty.toml'),
      PLUM_CODEC_KEYS: TEST_KEYS_ENV,
    });
    assert.deepEqual(config.plum, {
      mode: 'upstream',
      baseUrl: 'https://accounts.xoxoday.com/chef',
      defaultCredentials: { clientId: 'client-1', clientSecret: SECRET },
    });
    assert.equal(config.temporal.mode, 'external');
    assert.equal(config.temporal.namespace, 'payments');
  });

  it('refuses a variable and its _FILE twin together, and empty secrets', () => {
    assert.throws(
      () => loadConfig({ PLUM_CLIENT_ID: 'a', PLUM_CLIENT_ID_FILE: '/x', PLUM_CLIENT_SECRET: ' ' }),
      (error: ConfigError) => {
        assert.deepEqual(
          error.problems.map((p) => p.variable),
          ['PLUM_CLIENT_ID', 'PLUM_CLIENT_SECRET'],
        );
        return true;
      },
    );
  });

  it('codec keys: production needs them; bad ones exit 2 naming the variable, never the key', () => {
    const key = Buffer.alloc(16, 7).toString('base64');
    const result = runMain({
      TEMPORAL_ADDRESS: 'localhost:7233',
      PLUM_CODEC_KEYS: `k1:${key}`,
      PLUM_CODEC_SERVER_AUTH: 'sometimes',
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^ {2}PLUM_CODEC_KEYS: key "k1" is 16 bytes; AES-256 needs 32/m);
    assert.match(result.stderr, /^ {2}PLUM_CODEC_SERVER_AUTH: must be bearer or none/m);
    assert.ok(!result.stderr.includes(key), 'key material was echoed');
    assert.throws(
      () => loadConfig({ TEMPORAL_ADDRESS: 'localhost:7233' }),
      /PLUM_CODEC_KEYS: is required with a Temporal server \(TEMPORAL_ADDRESS, TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE\)/,
    );
    assert.equal(loadConfig({}).codec.keyRing, undefined, 'embedded mode keeps a local key instead');
  });

  it('a Temporal Cloud profile alone (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) selects production mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plum-envconfig-'));
    const file = join(dir, 'temporal.toml');
    writeFileSync(
      file,
      '[profile.prod]\naddress = "payments.a1b2c.tmprl.cloud:7233"\nnamespace = "payments.a1b2c"\napi_key = "not-a-real-key"\n',
    );
    const cloud = loadConfig({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      PLUM_CODEC_KEYS: TEST_KEYS_ENV,
    });
    assert.equal(cloud.temporal.mode, 'external');
    if (cloud.temporal.mode !== 'external') return;
    assert.equal(cloud.temporal.connect.connectionOptions.address, 'payments.a1b2c.tmprl.cloud:7233');
    assert.equal(cloud.temporal.namespace, 'payments.a1b2c');
    assert.equal(cloud.temporal.connect.connectionOptions.apiKey, 'not-a-real-key');
    assert.ok(cloud.temporal.connect.connectionOptions.tls, 'an API key turns TLS on');
    assert.throws(
      () => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }),
      /PLUM_CODEC_KEYS: is required with a Temporal server/,
      'production needs the payload ring whatever named the server',
    );
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.variable}: ${p.problem}`);
      }
    };
    // Named but unusable: never a silent embedded dev server.
    assert.match(
      problems({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') }).join('; '),
      /TEMPORAL_CONFIG_FILE: .*missing\.toml does not exist/,
    );
    assert.match(
      problems({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }).join('; '),
      /TEMPORAL_PROFILE: .*staging/,
    );
    writeFileSync(join(dir, 'no-address.toml'), '[profile.default]\nnamespace = "x"\n');
    assert.match(
      problems({ TEMPORAL_CONFIG_FILE: join(dir, 'no-address.toml') }).join('; '),
      /TEMPORAL_CONFIG_FILE: names no server address/,
    );
    assert.equal(loadConfig({}).temporal.mode, 'embedded', 'nothing names a server: the embedded dev server');
  });

  it('a real base URL needs credentials in the worker only (operators share the env file without them)', () => {
    const config = loadConfig({ PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef' });
    assert.match(
      workerConfigProblems(config)[0]?.problem ?? '',
      /PLUM_BASE_URL is set, so the worker needs API credentials/,
    );
    const withFile = loadConfig({
      PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef',
      PLUM_CREDENTIALS_FILE: 'c.json',
    });
    assert.deepEqual(workerConfigProblems(withFile), []);
  });

  describe('configuration is never silently misread and never echoes a secret', () => {
    it('blank, empty or hex numbers are refused instead of becoming 0', () => {
      for (const value of ['', '  ', '0x0', '1e3', 'NaN']) {
        for (const variable of ['PLUM_LEAD_FRACTION', 'PLUM_MIN_LEAD_MS', 'PLUM_JITTER_FRACTION']) {
          const problems = problemsOf({ [variable]: value });
          assert.equal(problems[0]?.variable, variable, `${variable}=${JSON.stringify(value)} was accepted`);
        }
      }
      assert.equal(loadConfig({ PLUM_LEAD_FRACTION: ' 0.25 ' }).policy.leadFraction, 0.25);
    });

    it('a number out of range says the range, not "must be a number"', () => {
      const [problem] = problemsOf({ PLUM_LEAD_FRACTION: '0.95' });
      assert.match(problem?.problem ?? '', /must be at most 0\.9/);
      assert.doesNotMatch(problem?.problem ?? '', /must be a number/);
    });

    it('a reversed PLUM_CODEC_KEYS entry (key:id) never prints the key', () => {
      const key = Buffer.alloc(32, 9).toString('base64');
      const problems = problemsOf({ PLUM_CODEC_KEYS: `${key}:k1` });
      assert.equal(problems[0]?.variable, 'PLUM_CODEC_KEYS');
      assert.match(problems[0]?.problem ?? '', /key id is not 1–64/);
      assert.ok(!JSON.stringify(problems).includes(key.slice(0, 12)), 'key material was echoed');
    });

    it('an invalid PLUM_BASE_URL never echoes its user:password', () => {
      const problems = problemsOf({ PLUM_BASE_URL: 'ftp://admin:hunter2@plum.example/chef' });
      assert.equal(problems[0]?.variable, 'PLUM_BASE_URL');
      assert.ok(!JSON.stringify(problems).includes('hunter2'), 'the password was echoed');
    });
  });
});

describe('configuration of metrics, logs and the alert webhook', () => {
  const external = { TEMPORAL_ADDRESS: 'temporal.internal:7233', PLUM_CODEC_KEYS: TEST_KEYS_ENV };

  it('the embedded demo serves metrics on 9464 in readable logs; production is JSON with metrics off until asked', () => {
    const embedded = loadConfig({});
    assert.deepEqual(embedded.metrics, { host: '127.0.0.1', port: 9464, pollMs: 30_000 });
    assert.equal(embedded.logFormat, 'pretty');
    const production = loadConfig(external);
    assert.equal(production.metrics, undefined);
    assert.equal(production.logFormat, 'json');
    assert.deepEqual(loadConfig({ ...external, PLUM_METRICS_PORT: '9100' }).metrics, {
      host: '0.0.0.0',
      port: 9100,
      pollMs: 30_000,
    });
    assert.equal(loadConfig({ PLUM_METRICS_PORT: '0' }).metrics, undefined, '0 turns it off');
  });

  it('a webhook URL needs its secret; the secret is never echoed', () => {
    const [missing] = problemsOf({ PLUM_ALERT_WEBHOOK_URL: 'https://alerts.example/hook' });
    assert.equal(missing?.variable, 'PLUM_ALERT_WEBHOOK_SECRET');
    const ok = loadConfig({ PLUM_ALERT_WEBHOOK_URL: 'https://alerts.example/hook', PLUM_ALERT_WEBHOOK_SECRET: SECRET });
    assert.deepEqual(ok.alertWebhook, { url: 'https://alerts.example/hook', secret: SECRET });
    const problems = problemsOf({ PLUM_ALERT_WEBHOOK_URL: 'ftp://x', PLUM_ALERT_WEBHOOK_SECRET: SECRET });
    assert.equal(problems[0]?.variable, 'PLUM_ALERT_WEBHOOK_URL');
    assert.ok(!JSON.stringify(problems).includes(SECRET));
    assert.equal(problemsOf({ PLUM_LOG_FORMAT: 'xml' })[0]?.problem, 'must be json or pretty (got "xml")');
  });
});
