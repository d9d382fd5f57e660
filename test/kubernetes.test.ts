// Issue 24: the Kubernetes manifests, held to the same promise as the compose file and validated offline against the
// Kubernetes API's own schemas (kubernetes-models; kubeconform downloads its schemas at run time).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config';
import { codecServerAuth } from '../src/config/codec-server-settings';
import { PROMETHEUS_RULE_FILE, RULES_FILE } from '../scripts/prometheus-rule';
import { testKey } from './helpers/codec';
import { EnrolmentKeyRing } from '../src/codec/enrolment-seal';
import { READINESS_DEADLINE_MS } from '../src/monitoring/readiness';
import { graceProblem } from './helpers/drain';

const DIR = 'deploy/kubernetes';
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
interface Container {
  env?: { name: string; value: string }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string }; timeoutSeconds?: number };
  readinessProbe?: { httpGet?: { path: string; port: string }; timeoutSeconds?: number };
  resources?: { requests?: { memory?: string } };
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: { allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}

const files = (parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] }).resources;
const manifests: Manifest[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => doc.toJSON() as Manifest),
);
const deployment = (name: string) => {
  const found = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === name);
  assert.ok(found, `no Deployment ${name}`);
  return found.spec as { replicas: number; template: { spec: PodSpec } };
};
const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
const mebibytes = (quantity: string) =>
  Number(/^(\d+)Mi$/.exec(quantity)?.[1] ?? /^(\d+)Gi$/.exec(quantity)?.[1]) * (quantity.endsWith('Gi') ? 1024 : 1);

/** The model class that validates a manifest of `apiVersion`/`kind` against the API's schema. */
async function modelOf(manifest: Manifest): Promise<{ validate(): void }> {
  const { apiVersion, kind } = manifest;
  const module = (apiVersion === 'apps/v1'
    ? await import('kubernetes-models/apps/v1')
    : apiVersion === 'v1'
      ? await import('kubernetes-models/v1')
      : apiVersion === 'batch/v1'
        ? await import('kubernetes-models/batch/v1')
        : apiVersion === 'policy/v1'
          ? await import('kubernetes-models/policy/v1')
          : apiVersion === 'monitoring.coreos.com/v1'
            ? await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1')
            : {}) as unknown as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[kind];
  assert.ok(Model, `no schema for ${apiVersion} ${kind}`);
  return new Model(manifest);
}

describe('deploy/kubernetes (validated offline against the Kubernetes schemas)', () => {
  it('every manifest kustomization.yaml lists is valid against its API schema', async () => {
    assert.deepEqual(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort(), [
      'Deployment/plum-keeper-codec-server',
      'Deployment/plum-keeper-worker',
      'Job/plum-keeper-setup-namespace',
      'PodDisruptionBudget/plum-keeper-worker',
      'PodMonitor/plum-keeper-worker',
      'PrometheusRule/plum-token-keeper',
      'Service/plum-keeper-codec-server',
    ]);
    for (const manifest of manifests) (await modelOf(manifest)).validate();
    // The check can fail: a port that is not a number is refused.
    const broken = structuredClone(manifests.find((m) => m.kind === 'Deployment')!);
    (broken.spec as { template: { spec: PodSpec } }).template.spec.containers[0]!.ports![0]!.containerPort =
      'metrics' as never;
    await assert.rejects(
      modelOf(broken).then((m) => m.validate()),
      /containerPort must be integer/,
    );
  });

  it('runs two or more non-root workers whose grace period covers the drain, probed on /healthz and /readyz', () => {
    const worker = deployment('plum-keeper-worker');
    assert.ok(worker.replicas >= 2);
    const pod = worker.template.spec;
    const container = pod.containers[0]!;
    const env = envOf(container);
    assert.equal(graceProblem(pod.terminationGracePeriodSeconds ?? 30, env), undefined);
    assert.match(
      graceProblem(10, env) ?? '',
      /shorter than the worker's handover \(900 s.*drain of 20 s/,
      'a short one names both',
    );
    const metrics = container.ports?.find((p) => p.name === 'metrics');
    assert.equal(String(metrics?.containerPort), env.PLUM_METRICS_PORT);
    assert.deepEqual(container.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
    // Issue 30, item 11: a probe that gives up before /readyz's own Temporal deadline makes a slow Temporal look like
    // every worker failing at once (the default timeout is 1 s).
    for (const probe of [container.readinessProbe, container.livenessProbe])
      assert.ok((probe?.timeoutSeconds ?? 1) * 1000 > READINESS_DEADLINE_MS, 'the probe outwaits /readyz');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    // README: Sizing measured about 275 MiB idle plus 0.4 MB per cached workflow (500 by default).
    assert.ok(mebibytes(container.resources?.requests?.memory ?? '0Mi') >= 275 + 0.4 * 500);
  });

  it('gives secrets as mounted files, and each container’s environment is a valid configuration', () => {
    for (const name of ['plum-keeper-worker', 'plum-keeper-codec-server']) {
      const pod = deployment(name).template.spec;
      const container = pod.containers[0]!;
      const mount = container.volumeMounts?.find((m) => m.name === 'secrets');
      assert.ok(mount && pod.volumes?.some((v) => v.name === 'secrets' && v.secret), `${name} mounts a Secret`);
      const dir = mkdtempSync(join(tmpdir(), 'plum-k8s-'));
      writeFileSync(join(dir, 'codec-keys'), `prod-1:${testKey('k8s').toString('base64')}\n`);
      writeFileSync(join(dir, 'token-keys'), `seal-1:${testKey('k8s-seal').toString('base64')}\n`);
      writeFileSync(join(dir, 'enrolment-keys'), `enrol-1:${testKey('k8s-seal-enrol').toString('base64')}\n`);
      writeFileSync(
        join(dir, 'enrolment-public-key'),
        `${EnrolmentKeyRing.parse(`enrol-1:${testKey('k8s-seal-enrol').toString('base64')}`).publicKey.toString()}\n`,
      );
      writeFileSync(join(dir, 'codec-server-token'), 'codec-token\n');
      const env = Object.fromEntries(
        Object.entries(envOf(container)).map(([k, v]) => {
          if (k.endsWith('_FILE') || k === 'PLUM_CREDENTIALS_FILE') assert.ok(v.startsWith(`${mount.mountPath}/`), k);
          return [k, v.replace(mount.mountPath, dir)];
        }),
      );
      assert.ok(!Object.keys(env).some((k) => /SECRET$|_KEYS$|_TOKEN$/.test(k)), `${name}: a secret in plain env`);
      const config = loadConfig(env);
      assert.equal(config.temporal.mode, 'external');
      if (name === 'plum-keeper-codec-server') {
        assert.equal(config.codec.tokenKeyRing, undefined, 'the codec server never holds the token ring');
        assert.equal(config.codec.enrolmentKeys, undefined, 'nor the enrolment ring');
        assert.equal(config.codec.enrolmentPublicKey?.keyId, 'enrol-1', 'it seals what passes through');
        assert.deepEqual(codecServerAuth(config.codec, false).problems, []);
        assert.ok(config.codec.tls && config.codec.oidc);
      } else {
        assert.equal(config.plum.mode, 'upstream');
        assert.ok(config.codec.tokenKeyRing);
        assert.deepEqual(config.codec.enrolmentKeys?.keyIds, ['enrol-1']);
      }
    }
  });

  it('registers the namespace and search attributes in a Job, on the workers’ server and image, with the payload ring only', () => {
    const job = manifests.find((m) => m.kind === 'Job')!.spec as { template: { spec: PodSpec } };
    const container = job.template.spec.containers[0]! as Container & { command?: string[]; image?: string };
    assert.deepEqual(container.command?.slice(0, 3), ['node', 'bin/plum-keeper.js', 'setup-namespace']);
    const worker = deployment('plum-keeper-worker').template.spec.containers[0]! as Container & { image?: string };
    assert.equal(container.image, worker.image);
    const env = envOf(container);
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']) assert.equal(env[name], envOf(worker)[name], name);
    assert.deepEqual(Object.keys(env).sort(), ['PLUM_CODEC_KEYS_FILE', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']);
    assert.equal(job.template.spec.securityContext?.runAsNonRoot, true);
  });

  it('keeps a PodDisruptionBudget for the workers and the alert rules as a PrometheusRule, the same as alerts.yml', () => {
    const pdb = manifests.find((m) => m.kind === 'PodDisruptionBudget')!;
    assert.equal((pdb.spec as { minAvailable: number }).minAvailable, 1);
    const rule = manifests.find((m) => m.kind === 'PrometheusRule')!;
    const { groups } = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
    assert.deepEqual(rule.spec.groups, groups, `run npm run k8s-rules -- --write (${PROMETHEUS_RULE_FILE})`);
  });

  it('has the workers scraped (PodMonitor and annotations) under the job name the alert rules select', () => {
    const monitor = manifests.find((m) => m.kind === 'PodMonitor')!.spec as {
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: {
        port: string;
        path: string;
        relabelings: { targetLabel: string; replacement: string }[];
      }[];
    };
    const worker = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'plum-keeper-worker')!.spec as {
      template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    };
    for (const [k, v] of Object.entries(monitor.selector.matchLabels))
      assert.equal(worker.template.metadata.labels[k], v);
    const endpoint = monitor.podMetricsEndpoints[0]!;
    assert.equal(endpoint.port, 'metrics');
    assert.ok(endpoint.relabelings.some((r) => r.targetLabel === 'job' && r.replacement === 'plum-keeper'));
    assert.ok(readFileSync(RULES_FILE, 'utf8').includes('job="plum-keeper"'), 'the rules select that job');
    assert.equal(worker.template.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.equal(worker.template.metadata.annotations['prometheus.io/port'], '9464');
  });

  it('names the image of this release everywhere, and no build id (the code gives itself one)', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const text = manifests.map((m) => JSON.stringify(m)).join('\n');
    const images = [...text.matchAll(/"image":"plum-token-keeper:([^"]+)"/g)].map((m) => m[1]);
    assert.ok(images.length >= 3);
    for (const tag of images) assert.equal(tag, version, 'bump the image tags with the release');
    assert.ok(!text.includes('PLUM_BUILD_ID'));
  });
});
