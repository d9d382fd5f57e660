import type { Config } from '../config';
import { TASK_QUEUE, workflowIdFor } from '../contract';
import type { Log } from '../logging/log';
import { DEMO_COMPANY } from './embedded-demo';

/** Where the worker's world is, as the banner shows it. */
export interface BannerFacts {
  address: string;
  namespace: string;
  uiUrl?: string | undefined;
  plumUrl: string;
  sandbox: boolean;
  codecUrl?: string | undefined;
  metricsUrl?: string | undefined;
}

/** The banner's build line: the version this worker joins and how new builds take over, or why it runs unversioned. */
function buildLine(config: Config): string {
  if (config.deployment) {
    return `${config.deployment.buildId} of Worker Deployment ${config.deployment.deploymentName} (PLUM_ROLLOUT=${config.rollout.mode})`;
  }
  return config.temporal.mode === 'embedded'
    ? 'unversioned: the embedded dev server cannot move pinned keepers; a restart with new code replays their histories on it'
    : 'unversioned (PLUM_WORKER_VERSIONING=off): stop every old worker before new ones start';
}

/** What the worker says when it runs: where Temporal, Plum, the UI and the metrics are; one log entry in JSON logs. */
export function printBanner(config: Config, facts: BannerFacts, log: Log): void {
  const { address, namespace, plumUrl, sandbox, codecUrl, metricsUrl } = facts;
  // JSON logs stay one object per line for collectors: the banner becomes one log entry there.
  if (config.logFormat === 'json') {
    log.info('plum-token-keeper is running', {
      temporal: address,
      namespace,
      plum: plumUrl,
      sandbox,
      taskQueue: TASK_QUEUE,
      build: config.deployment?.buildId ?? 'unversioned',
      ...(metricsUrl && { metrics: `${metricsUrl}/metrics` }),
    });
    return;
  }
  const lines = [
    '',
    '  plum-token-keeper is running',
    `  Temporal : ${address} (${config.temporal.mode === 'embedded' ? 'EMBEDDED dev server, state in ' + config.dataDir : 'external'}), namespace ${namespace}`,
    ...(facts.uiUrl ? [`  UI       : ${facts.uiUrl}/namespaces/${namespace}/workflows`] : []),
    `  Plum     : ${plumUrl}${sandbox ? '  <-- LOCAL SANDBOX, NOT THE REAL PLUM (set PLUM_BASE_URL for production)' : ''}`,
    `  Queue    : ${TASK_QUEUE}`,
    `  Build    : ${buildLine(config)}`,
    ...(metricsUrl
      ? [`  Metrics  : ${metricsUrl}/metrics   health: ${metricsUrl}/healthz   ready: ${metricsUrl}/readyz`]
      : []),
    ...(codecUrl
      ? [
          `  Codec    : ${codecUrl} (payloads are AES-256-GCM encrypted; the UI decrypts state through it, tokens stay sealed)`,
        ]
      : []),
    ...(sandbox
      ? [
          `  Demo     : company "${DEMO_COMPANY}", enrolled right after this banner (a line says when); its tokens live ${Math.round(config.demoTokenLifetimeMs / 1000)} s and rotate at half-life.`,
          `  Try      : temporal workflow query --address ${address} --workflow-id ${workflowIdFor(DEMO_COMPANY)} --type status --codec-endpoint ${codecUrl ?? '<codec-server-url>'}`,
        ]
      : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
