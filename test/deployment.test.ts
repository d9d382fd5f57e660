import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';
import { codecServerAuth } from '../src/config/codec-server-settings';
import { durationSeconds, graceProblem } from './helpers/drain';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../src/contract';
import { testKey } from './helpers/codec';
import { EnrolmentKeyRing } from '../src/codec/enrolment-seal';

interface Service {
  configs?: { source: string; target: string }[];
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  secrets?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  pull_policy?: string;
  healthcheck?: { test?: string[] };
  stop_grace_period?: string;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  configs: Record<string, { file: string }>;
};
const services = compose.services;

/** What an operator sets for the variables compose requires (`${NAME:?message}`): their OIDC provider. */
/**
 * The programs each pinned image contains, read from the image's own Dockerfile (README: "What the compose file was
 * checked against"): temporalio/server and admin-tools 1.31.2 from docker/targets/*.Dockerfile of
 * go.temporal.io/server@v1.31.2 (FROM alpine: busybox's sh, cat, sleep, echo; server: temporal-server; admin-tools: the
 * temporal CLI, temporal-sql-tool, no psql), postgres:16 from docker-library/postgres 16/trixie (Debian: sh, cat;
 * postgresql-16: psql, pg_isready). Shell keywords and builtins are always there.
 */
const SHELL = ['sh', 'set', 'export', 'for', 'do', 'done', 'if', 'then', 'fi', 'while', 'exit', 'echo', '[', 'exec'];
const IMAGE_PROGRAMS: Record<string, ReadonlySet<string>> = {
  'temporalio/server:1.31.2': new Set([...SHELL, 'cat', 'temporal-server']),
  'temporalio/admin-tools:1.31.2': new Set([...SHELL, 'cat', 'sleep', 'temporal', 'temporal-sql-tool']),
  'postgres:16': new Set([...SHELL, 'cat', 'psql', 'pg_isready']),
};

/** The program of each simple command in a shell command line: first words after ;, &&, ||, |, $( and keywords. */
function programsIn(line: string): string[] {
  return line
    .replace(/"[^"]*"/g, (quoted) => ` ${quoted.match(/\$\$\(([^)]*)\)/)?.[1] ?? ''} `)
    .split(/;|&&|\|\||\||\$\$\(|\bthen\b|\bdo\b|\belse\b/)
    .map((part) => part.trim().replace(/^[A-Z_]+=\S+\s+/, ''))
    .map((part) => part.split(/\s+/)[0] ?? '')
    .filter((word) => word !== '' && !/^[A-Za-z_]+=/.test(word) && !/^(\$\$|\(|\))/.test(word));
}

const OPERATOR_SETS: Record<string, string> = {
  PLUM_OIDC_ISSUER: 'https://login.example.com/realms/ops',
  PLUM_OIDC_AUDIENCE: 'plum-codec',
  TEMPORAL_AUTH_CLIENT_ID: 'temporal-ui',
  TEMPORAL_AUTH_CLIENT_SECRET: 'ui-secret',
};

/** Resolves `${NAME:-default}` the way compose does when NAME is unset, and `${NAME:?…}` as the operator set it. */
const resolveDefaults = (value: string) =>
  value
    .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
    .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_, name: string) => OPERATOR_SETS[name] ?? `<${name} unset>`);

describe('docker-compose.yml (checked statically: no Docker engine or compose plugin here)', () => {
  it('has the topology of npm run cluster: PostgreSQL, schema job, Temporal, namespace job, UI, two workers, codec server, Prometheus, Alertmanager', () => {
    for (const name of [
      'postgresql',
      'temporal-schema',
      'temporal',
      'temporal-namespace',
      'alertmanager',
      'temporal-ui',
      'worker',
      'codec-server',
      'prometheus',
    ]) {
      assert.ok(services[name], `service ${name} is missing`);
    }
    assert.equal(services.worker!.deploy?.replicas, 2);
    assert.ok(!readFileSync('docker-compose.yml', 'utf8').includes('auto-setup'), 'the deprecated auto-setup image');
    assert.match(String(services.temporal!.image), /^temporalio\/server:1\.31\.2$/);
  });

  it('runs the Temporal server from the config files npm run cluster uses, with every variable they read', () => {
    const targets = (services.temporal!.configs ?? []).map((c) => compose.configs[c.source]?.file);
    assert.deepEqual(targets.sort(), ['./deploy/temporal/dynamic-config.yaml', './deploy/temporal/server.yaml']);
    const template = readFileSync('deploy/temporal/server.yaml', 'utf8');
    const read = new Set([...template.matchAll(/env "([A-Z_]+)"/g)].map((m) => m[1]));
    for (const variable of Object.keys(services.temporal!.environment ?? {})) {
      assert.ok(read.has(variable), `${variable} is set but deploy/temporal/server.yaml never reads it`);
    }
    assert.match(String([services.temporal!.command].flat()), /--config-file \/etc\/temporal\/plum\/server\.yaml/);
  });

  it('names only files that exist, and no config needs inline content (Compose 2.23.1+)', () => {
    for (const [name, config] of Object.entries(compose.configs)) {
      assert.ok(config.file && existsSync(config.file), `config ${name} names a missing file`);
      assert.equal((config as { content?: string }).content, undefined);
    }
    for (const service of Object.values(services)) {
      for (const secret of service.secrets ?? [])
        assert.ok(compose.secrets[secret], `secret ${secret} is not declared`);
    }
  });

  it('npm run secrets writes every secret the file declares, and refuses to make up where alerts go', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plum-secrets-'));
    const secrets = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate-secrets.ts', '--dir', dir, ...args], {
        encoding: 'utf8',
      });
    const without = secrets();
    assert.equal(without.status, 1);
    assert.match(
      without.stdout,
      /missing .*alertmanager-receiver-url: alerts would reach no one\. Run again with --alert-receiver-url URL/,
    );
    assert.match(secrets('--alert-receiver-url', 'not a url').stderr, /--alert-receiver-url.*must be an http\(s\) URL/);
    const run = secrets('--alert-receiver-url', 'https://hooks.example.com/on-call');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(join(dir, 'alertmanager-receiver-url'), 'utf8'), 'https://hooks.example.com/on-call\n');
    for (const secret of Object.values(compose.secrets)) {
      assert.ok(existsSync(join(dir, secret.file.replace('./secrets/', ''))), `${secret.file} was not written`);
    }
    const again = secrets();
    assert.equal(again.status, 0, 'the receiver written before is kept');
    assert.match(again.stdout, /kept +.*codec-keys/, 'existing keys are never replaced');
  });

  it('starts each part after what it needs: databases, schema, the server, its readiness job, the namespace job, then workers (issues 24, 30)', () => {
    const after = (name: string) => services[name]!.depends_on ?? {};
    assert.deepEqual(after('temporal-databases'), { postgresql: { condition: 'service_healthy' } });
    assert.deepEqual(after('temporal-schema'), {
      'temporal-databases': { condition: 'service_completed_successfully' },
    });
    assert.deepEqual(after('temporal'), { 'temporal-schema': { condition: 'service_completed_successfully' } });
    for (const name of ['temporal-namespace', 'temporal-ui'])
      assert.deepEqual(after(name), { 'temporal-ready': { condition: 'service_completed_successfully' } }, name);
    assert.deepEqual(after('worker'), { 'temporal-namespace': { condition: 'service_completed_successfully' } });
    const schema = [services['temporal-schema']!.command].flat().join(' ');
    assert.match(schema, /update-schema -s postgresql\/v12\/\$\$schema/);
    assert.match(schema, /^set -eu;/);
  });

  it('runs in each image only programs that image’s own Dockerfile installs', () => {
    for (const [name, service] of Object.entries(services)) {
      const image = (service as { image?: string }).image ?? '';
      const programs = IMAGE_PROGRAMS[image];
      if (!programs) continue;
      const commands = [
        [(service as { entrypoint?: string[] }).entrypoint ?? []].flat().join(' '),
        ...[service.command ?? []].flat(),
        ...(service.healthcheck?.test?.slice(1) ?? []).slice(0, 1),
      ];
      for (const used of commands.flatMap(programsIn)) {
        assert.ok(programs.has(used), `${name} (${image}) runs ${used}, which its Dockerfile does not install`);
      }
    }
  });

  it('hides no failure: no `|| true`, databases created only when missing, namespace and attributes by setup-namespace', () => {
    assert.doesNotMatch(readFileSync('docker-compose.yml', 'utf8'), /^[^#]*\|\|\s*true/m);
    const databases = [services['temporal-databases']!.command].flat().join(' ');
    assert.match(
      databases,
      /if \[ -z "\$\$\(psql .*pg_database WHERE datname = '\$\$db'.*\]; *then psql .*CREATE DATABASE \$\$db"; fi/,
    );
    // setup-namespace itself is tested against a real server (test/operator/doctor.test.ts): adds what is missing,
    // keeps what is there, fails on a type conflict.
    assert.deepEqual(services['temporal-namespace']!.command, [
      'node', 'bin/plum-keeper.js', 'setup-namespace', '--retention', '72h',
    ]); // prettier-ignore
    assert.equal(services['temporal-namespace']!.environment?.TEMPORAL_NAMESPACE, 'default');
    assert.equal(Object.keys(PLUM_SEARCH_ATTRIBUTE_TYPES).length, 4);
  });

  it('builds the keeper image once and runs that image everywhere it is needed', () => {
    const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
    assert.deepEqual(
      built.map(([name]) => name),
      ['worker'],
      'one service builds',
    );
    const image = services.worker!.image;
    assert.ok(image, 'the built image has a name the others run');
    for (const name of ['codec-server', 'temporal-namespace']) {
      assert.equal(services[name]!.image, image, name);
      assert.equal(services[name]!.pull_policy, 'never', `${name} never pulls the local image`);
    }
  });

  it('sends what Prometheus fires to Alertmanager, and Alertmanager to the receiver npm run secrets writes', () => {
    const prometheus = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const targets = prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets));
    assert.deepEqual(targets, ['alertmanager:9093']);
    const alertmanager = services.alertmanager!;
    const configFile = (alertmanager.configs ?? []).find((c) => c.target === '/etc/alertmanager/alertmanager.yml');
    assert.ok(configFile, 'the config is mounted where the command reads it');
    assert.ok([alertmanager.command].flat().includes('--config.file=/etc/alertmanager/alertmanager.yml'));
    const config = parse(readFileSync(compose.configs[configFile.source]!.file, 'utf8')) as {
      route: { receiver: string; routes?: { receiver: string }[] };
      receivers: { name: string; webhook_configs?: { url_file?: string; send_resolved?: boolean }[] }[];
    };
    const receivers = new Map(config.receivers.map((r) => [r.name, r]));
    for (const name of [config.route.receiver, ...(config.route.routes ?? []).map((r) => r.receiver)]) {
      const hooks = receivers.get(name)?.webhook_configs ?? [];
      assert.ok(hooks.length > 0, `receiver ${name} posts somewhere`);
      for (const hook of hooks) {
        const secret = hook.url_file?.replace('/run/secrets/', '') ?? '';
        assert.ok(alertmanager.secrets?.includes(secret), `${hook.url_file} is a secret mounted into alertmanager`);
        assert.equal(hook.send_resolved, true);
      }
    }
    // Alerts in the rules carry the severities the routes match.
    const rules = readFileSync('deploy/prometheus/alerts.yml', 'utf8');
    assert.match(rules, /severity: page/);
  });

  it('Prometheus scrapes the workers’ metrics port and loads the alert rules', () => {
    const prometheus = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
      rule_files: string[];
    };
    const target = prometheus.scrape_configs[0]!.dns_sd_configs[0]!;
    assert.deepEqual(target.names, ['worker']);
    assert.equal(String(target.port), services.worker!.environment?.PLUM_METRICS_PORT);
    assert.ok(prometheus.rule_files.includes('/etc/prometheus/alerts.yml'));
  });

  it('checks the health of the workers (/readyz) and the codec server, as the Dockerfile does', () => {
    assert.deepEqual(services.worker!.healthcheck?.test, ['CMD', 'node', 'dist/main/healthcheck.js', 'readyz']);
    assert.equal(services.worker!.environment?.PLUM_METRICS_PORT, '9464');
    assert.deepEqual(services['codec-server']!.healthcheck?.test, ['CMD', 'node', 'dist/main/healthcheck.js', 'codec']);
    assert.match(readFileSync('Dockerfile', 'utf8'), /^HEALTHCHECK .*"dist\/main\/healthcheck\.js", "readyz"\]$/m);
    assert.ok(existsSync('src/main/healthcheck.ts'));
  });

  it('points the UI at the codec server the compose file publishes, over https, passing its users’ access tokens', () => {
    const ui = services['temporal-ui']!.environment ?? {};
    const endpoint = ui.TEMPORAL_CODEC_ENDPOINT;
    const codec = services['codec-server']!;
    const port = codec.environment?.PLUM_CODEC_SERVER_PORT;
    // The UI passes the access token to https endpoints only.
    assert.equal(endpoint, `https://localhost:${port}`);
    assert.equal(ui.TEMPORAL_CODEC_PASS_ACCESS_TOKEN, 'true');
    assert.equal(ui.TEMPORAL_AUTH_ENABLED, 'true');
    assert.equal(
      resolveDefaults(String(ui.TEMPORAL_AUTH_PROVIDER_URL)),
      resolveDefaults(String(codec.environment?.PLUM_CODEC_OIDC_ISSUER)),
      'the codec server trusts the issuer the UI signs in with',
    );
    assert.ok(codec.ports?.some((p) => p.endsWith(`:${port}:${port}`)));
    assert.ok(codec.environment?.PLUM_CODEC_CORS_ORIGINS?.split(',').includes('http://localhost:8080'));
  });

  for (const name of ['worker', 'codec-server']) {
    it(`the ${name}'s environment is a valid configuration for this code`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'plum-compose-'));
      writeFileSync(join(dir, 'codec-keys'), `prod-1:${testKey('compose').toString('base64')}\n`);
      writeFileSync(join(dir, 'token-keys'), `seal-1:${testKey('compose-seal').toString('base64')}\n`);
      writeFileSync(join(dir, 'enrolment-keys'), `enrol-1:${testKey('compose-seal-enrol').toString('base64')}\n`);
      writeFileSync(
        join(dir, 'enrolment-public-key'),
        `${EnrolmentKeyRing.parse(`enrol-1:${testKey('compose-seal-enrol').toString('base64')}`).publicKey.toString()}\n`,
      );
      writeFileSync(
        join(dir, 'plum-credentials'),
        JSON.stringify({ acme: { client_id: 'id', client_secret: 'secret' } }),
      );
      writeFileSync(join(dir, 'codec-server-token'), 'codec-token\n');
      writeFileSync(join(dir, 'codec-server-tls-cert'), 'PEM\n');
      writeFileSync(join(dir, 'codec-server-tls-key'), 'PEM\n');
      const env = Object.fromEntries(
        Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [
          k,
          resolveDefaults(String(v)).replace('/run/secrets', dir),
        ]),
      );
      for (const secret of services[name]!.secrets ?? [])
        assert.ok(compose.secrets[secret], `secret ${secret} is not declared`);
      const config = loadConfig(env);
      assert.equal(config.temporal.mode, 'external');
      assert.deepEqual(config.codec.keyRing?.keyIds, ['prod-1']);
      // Workers seal tokens; the codec server (and so the UI) must never hold the token ring.
      if (name === 'worker') {
        assert.deepEqual(config.codec.tokenKeyRing?.keyIds, ['seal-1']);
        assert.deepEqual(config.codec.enrolmentKeys?.keyIds, ['enrol-1'], 'workers open what operators seal');
        assert.equal(config.plum.mode, 'upstream');
      } else {
        assert.equal(config.codec.tokenKeyRing, undefined, 'the codec server holds the token ring');
        assert.equal(config.codec.enrolmentKeys, undefined, 'the codec server holds the enrolment ring');
        assert.equal(config.codec.enrolmentPublicKey?.keyId, 'enrol-1', 'it seals what passes through for the workers');
        assert.equal(config.codec.serverToken, 'codec-token', 'the CLI’s bearer token');
        assert.deepEqual(config.codec.oidc, { issuer: OPERATOR_SETS.PLUM_OIDC_ISSUER, audience: 'plum-codec' });
        assert.equal(config.codec.tls?.certFile, join(dir, 'codec-server-tls-cert'));
        assert.deepEqual(codecServerAuth(config.codec, false).problems, [], 'no authorisation problem on 0.0.0.0');
        assert.equal(config.plum.credentialsFile, undefined, 'the codec server gets no Plum credentials');
      }
    });
  }

  it('gives the workers a stop grace period that covers their drain, and a short one fails naming it', () => {
    const worker = services.worker!;
    const env = Object.fromEntries(
      Object.entries(worker.environment ?? {}).map(([k, v]) => [k, resolveDefaults(String(v))]),
    );
    // The drain does not read files: the secrets' paths need not exist for this check.
    const drainEnv = {
      PLUM_HTTP_TIMEOUT_MS: env.PLUM_HTTP_TIMEOUT_MS ?? '15000',
      PLUM_HANDOVER_TIMEOUT_MS: env.PLUM_HANDOVER_TIMEOUT_MS ?? '900000',
    };
    assert.ok(worker.stop_grace_period, 'the worker sets stop_grace_period (Docker kills after 10 s otherwise)');
    assert.equal(graceProblem(durationSeconds(worker.stop_grace_period), drainEnv), undefined);
    assert.match(
      graceProblem(10, drainEnv) ?? '',
      /grace period of 10 s is shorter than the worker's handover \(900 s, PLUM_HANDOVER_TIMEOUT_MS\), drain of 20 s \(PLUM_HTTP_TIMEOUT_MS \+ 5 s\)/,
    );
    assert.match(graceProblem(930, { PLUM_HTTP_TIMEOUT_MS: '30000' }) ?? '', /drain of 35 s/, 'a longer call timeout');
  });

  it('runs a supported Node LTS in the image, and engines and packageManager say what the README does', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    assert.equal(majors.length, 2, 'both stages on node');
    // LTS lines are the even majors; 20 left support in April 2026, 22 in April 2027, 24 in April 2028.
    for (const major of majors) assert.ok(major % 2 === 0 && major >= 22, `node:${major} is not a supported LTS line`);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      engines: { node: string };
      packageManager: string;
    };
    const engineMajor = Number(/>=(\d+)/.exec(pkg.engines.node)?.[1]);
    assert.ok(engineMajor >= 22 && engineMajor <= Math.min(...majors), pkg.engines.node);
    const npm = pkg.packageManager.replace(/^npm@/, '');
    assert.ok(readFileSync('README.md', 'utf8').includes(`npm ${npm}`), `README names npm ${npm}`);
  });

  it('builds one image whose default command is the main job', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /RUN npm ci --omit=dev/);
    assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
    assert.match(dockerfile, /CMD \["node", "dist\/worker\.js"\]/);
    assert.deepEqual(services.worker!.command, ['node', 'dist/worker.js']);
    assert.deepEqual(services['codec-server']!.command, ['node', 'dist/main/codec-server.js']);
    for (const command of [services.worker!.command, services['codec-server']!.command]) {
      assert.ok(
        existsSync(
          join(
            'src',
            String(command?.[1])
              .replace(/^dist\//, '')
              .replace(/\.js$/, '.ts'),
          ),
        ),
      );
    }
  });
});
