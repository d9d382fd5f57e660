import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../src/contract';
import { testKey } from './helpers/codec';

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  secrets?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[] };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  configs: Record<string, { content: string }>;
};
const services = compose.services;

/** Resolves `${NAME:-default}` the way compose does when NAME is unset. */
const resolveDefaults = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml (checked statically: no Docker engine here)', () => {
  it('has PostgreSQL, Temporal with its schema and search attributes, the UI, two workers and the codec server', () => {
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-search-attributes',
      'temporal-ui',
      'worker',
      'codec-server',
    ]) {
      assert.ok(services[name], `service ${name} is missing`);
    }
    assert.equal(services.worker!.deploy?.replicas, 2);
    assert.equal(services.temporal!.environment?.DB, 'postgres12');
    assert.match(compose.configs['temporal-dynamic-config']!.content, /history\.maxInFlightUpdates:\n\s+- value: 500/);
  });

  it('registers exactly the four search attributes of DESIGN.md with their types', () => {
    const command = [services['temporal-search-attributes']!.command].flat().join(' ');
    for (const [name, type] of Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES)) {
      assert.match(command, new RegExp(`--name ${name} --type ${type}\\b`));
    }
  });

  it('checks the health of the workers (/readyz) and the codec server, as the Dockerfile does', () => {
    assert.deepEqual(services.worker!.healthcheck?.test, ['CMD', 'node', 'dist/main/healthcheck.js', 'readyz']);
    assert.equal(services.worker!.environment?.PLUM_METRICS_PORT, '9464');
    assert.deepEqual(services['codec-server']!.healthcheck?.test, ['CMD', 'node', 'dist/main/healthcheck.js', 'codec']);
    assert.match(readFileSync('Dockerfile', 'utf8'), /^HEALTHCHECK .*"dist\/main\/healthcheck\.js", "readyz"\]$/m);
    assert.ok(existsSync('src/main/healthcheck.ts'));
  });

  it('points the UI at the codec server the compose file publishes', () => {
    const endpoint = services['temporal-ui']!.environment?.TEMPORAL_CODEC_ENDPOINT;
    const codec = services['codec-server']!;
    const port = codec.environment?.PLUM_CODEC_SERVER_PORT;
    assert.equal(endpoint, `http://localhost:${port}`);
    assert.ok(codec.ports?.some((p) => p.endsWith(`:${port}:${port}`)));
    assert.ok(codec.environment?.PLUM_CODEC_CORS_ORIGINS?.split(',').includes('http://localhost:8080'));
  });

  for (const name of ['worker', 'codec-server']) {
    it(`the ${name}'s environment is a valid configuration for this code`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'plum-compose-'));
      writeFileSync(join(dir, 'codec-keys'), `prod-1:${testKey('compose').toString('base64')}\n`);
      writeFileSync(join(dir, 'token-keys'), `seal-1:${testKey('compose-seal').toString('base64')}\n`);
      writeFileSync(
        join(dir, 'plum-credentials'),
        JSON.stringify({ acme: { client_id: 'id', client_secret: 'secret' } }),
      );
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
      assert.equal(config.plum.mode, 'upstream');
      assert.deepEqual(config.codec.keyRing?.keyIds, ['prod-1']);
      // Workers seal tokens; the codec server (and so the UI) must never hold the token ring.
      if (name === 'worker') assert.deepEqual(config.codec.tokenKeyRing?.keyIds, ['seal-1']);
      else assert.equal(config.codec.tokenKeyRing, undefined, 'the codec server holds the token ring');
    });
  }

  it('builds one image whose default command is the main job', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    assert.match(dockerfile, /RUN npm run build/);
    assert.match(dockerfile, /RUN npm ci --omit=dev/);
    assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
    assert.match(dockerfile, /CMD \["node", "dist\/main\/keeper\.js"\]/);
    assert.deepEqual(services.worker!.command, ['node', 'dist/main/keeper.js']);
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
