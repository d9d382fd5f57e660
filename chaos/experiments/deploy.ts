// DEPLOY: the rollouts teams run, on Temporal server v1.31.2, each in a Worker Deployment and task queue of its own,
// with two builds of the keeper (this one, and the next release of chaos/builds/next-release.patch: a changed
// refresh activity input and a new query) and a third that is this code touched (same release, other digest),
// while companies rotate, enrol, answer reads and exchange user tokens:
// - the workers' own rollout, no operator command (deploy-rollouts.ts): Kubernetes-style, compose-style, a restart
//   with changed code, a stray old worker; the ramp, a rollback a restarting newer worker does not undo; a stranding
//   made on purpose (manual mode, old build killed) and what doctor, upgrade and `rollout resume` do about it;
// - the operator's steps of the README's manual path (deploy-operator.ts).
// Goals: no rejection, no failed workflow task, no failed enrolment, no keeper left stranded, every keeper on the
// new build; reads fail only where compose's stop-first leaves no worker at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { SectionResult } from '../../bench/lib/report';
import { createDataConverter } from '../../src/codec/data-converter';
import { startSqliteServer } from '../../scripts/cluster/sqlite-server';
import { NEXT_RELEASE_PATCH, prepareBuild } from '../lib/builds';
import { LIFETIME_MS } from '../lib/deploy-world';
import type { ChaosLab } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';
import { operatorSteps } from './deploy-operator';
import type { DeployBuilds, DeployScenario } from './deploy-rollouts';
import { ROLLOUT_SCENARIOS, SHORT_POLLS } from './deploy-rollouts';

export async function rollingDeploy(lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'plum-deploy-'));
  const deploymentName = 'plum-token-keeper';
  // A server is started first only to fail early when it cannot start; each scenario gets a fresh one.
  const started = await Promise.allSettled([
    startSqliteServer(lab.cliPath, () => {}, undefined, SHORT_POLLS),
    prepareBuild({ dir, deploymentName, name: 'old' }),
    prepareBuild({ dir, deploymentName, name: 'next', patch: NEXT_RELEASE_PATCH }),
    prepareBuild({ dir, deploymentName, name: 'touched', touch: true }),
  ] as const);
  const [serverStart, ...buildStarts] = started;
  if (serverStart.status === 'rejected' || buildStarts.some((b) => b.status === 'rejected')) {
    // Nothing the experiment started outlives it: a server that came up is stopped before the failure is reported.
    if (serverStart.status === 'fulfilled') await serverStart.value.stop();
    rmSync(dir, { recursive: true, force: true });
    throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  await serverStart.value.stop();
  const [old, next, touched] = buildStarts.map((b) => (b as PromiseFulfilledResult<DeployBuilds['old']>).value);
  const builds: DeployBuilds = { old: old!, next: next!, touched: touched! };
  const { codec, token } = lab.rings();
  const rows: SectionResult['rows'] = [];
  const figures: Record<string, unknown> = {};
  try {
    await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: LIFETIME_MS });
    // CHAOS_DEPLOY_SCENARIOS=kubernetes,compose runs a subset while one is being worked on.
    const only = process.env.CHAOS_DEPLOY_SCENARIOS?.split(',');
    const scenarios: [string, DeployScenario][] = [...ROLLOUT_SCENARIOS, ['operator', operatorSteps]];
    for (const [name, scenario] of scenarios) {
      if (only && !only.includes(name)) continue;
      const server = await startSqliteServer(lab.cliPath, () => {}, undefined, SHORT_POLLS);
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection, dataConverter: createDataConverter(codec, token) });
      const result = await scenario({ lab, server, client, builds, sizes, random }).finally(async () => {
        await connection.close();
        await server.stop();
      });
      rows.push(...result.rows);
      figures[name] = result.figures;
      if (only) {
        const lines = lab.logs
          .join('')
          .split('\n')
          .filter((l) => /rollout|hand|adopt|current|ramp/.test(l));
        process.stderr.write(`${name} worker log:\n${lines.map((l) => l.slice(0, 300)).join('\n')}\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: 'DEPLOY',
    title: `DEPLOY  rollouts on server v1.31.2: builds ${builds.old.buildId} → ${builds.next.buildId} (changed activity input, new query) and ${builds.touched.buildId} (same release, other code)`,
    rows,
    figures,
  };
}
