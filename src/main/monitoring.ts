import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';
import type { Log } from '../logging/log';
import { FleetGauges } from '../monitoring/fleet-gauges';
import { MonitoringServer } from '../monitoring/monitoring-server';
import { checkReadiness } from '../monitoring/readiness';

export interface Monitoring {
  url: string;
  stop: () => Promise<void>;
}

/** Starts `/metrics`, `/healthz`, `/readyz` and the fleet gauges for one worker. */
export async function startMonitoring(options: {
  config: NonNullable<Config['metrics']>;
  exporterAddress: string;
  client: Client;
  worker: Worker;
  log: Log;
}): Promise<Monitoring> {
  const { client, worker, config } = options;
  const readiness = () =>
    checkReadiness({
      client,
      namespace: client.options.namespace,
      taskQueue: worker.options.taskQueue,
      identity: worker.options.identity,
      workerState: () => worker.getState(),
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
    (error) => options.log.warn('fleet gauges not updated', { error }),
    readiness,
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
