import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';
import { FleetGauges } from './fleet-gauges';
import { MonitoringServer } from './monitoring-server';
import { checkReadiness } from './readiness';

export interface Monitoring {
  url: string;
  stop: () => Promise<void>;
}

/** Where the monitoring server listens and how often the fleet gauges poll (the configuration's `metrics`). */
export interface MonitoringSettings {
  host: string;
  port: number;
  pollMs: number;
}

/** Starts `/metrics`, `/healthz`, `/readyz` and the fleet gauges for one worker. */
export async function startMonitoring(options: {
  config: MonitoringSettings;
  exporterAddress: string;
  client: Client;
  worker: Worker;
  /** A versioned worker's deployment version and rollout: readiness waits for its first decision; gauges per build. */
  deployment?: { deploymentName: string; buildId: string; pollStaleMs: number };
  rollout?: { settled: boolean };
  /** Called when a poll of the fleet gauges fails. */
  warn: (message: string, meta: Record<string, unknown>) => void;
}): Promise<Monitoring> {
  const { client, worker, config } = options;
  const readiness = () =>
    checkReadiness({
      client,
      namespace: client.options.namespace,
      taskQueue: worker.options.taskQueue,
      identity: worker.options.identity,
      workerState: () => worker.getState(),
      ...(options.rollout && {
        rolloutState: () => (options.rollout!.settled ? 'ok' : 'deciding whether this build takes over'),
      }),
    });
  const server = await MonitoringServer.start({
    host: config.host,
    port: config.port,
    metricsSource: `http://${options.exporterAddress}/metrics`,
    readiness,
  });
  const gauges = new FleetGauges(
    client,
    Runtime.instance().metricMeter,
    (error) => options.warn('fleet gauges not updated', { error }),
    readiness,
    options.deployment && { ...options.deployment, taskQueue: worker.options.taskQueue },
  );
  gauges.start(config.pollMs);
  return {
    url: server.url,
    stop: async () => {
      gauges.stop();
      await server.stop();
    },
  };
}
