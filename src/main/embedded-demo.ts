import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { CredentialSource } from '../activities/credentials';
import { StaticCredentialSource } from '../activities/credentials';
import { TokenKeeperClient } from '../client/token-keeper-client';
import type { CodecServer } from '../codec-server/server';
import { startCodecServer } from '../codec-server/start';
import type { Config } from '../config';
import { ConfigError, exitOnConfigProblems } from '../config';
import type { KeyRings } from '../config/key-ring-variables';
import { locateTemporalCli } from '../dev-server/cli-locator';
import { DevServer } from '../dev-server/dev-server';
import { PlumSandbox } from '../sandbox/plum-sandbox';
import { workflowIdFor } from '../contract';
import { runsEarlierRelease } from './earlier-release-run';

/** The company `npm start` enrols in its sandbox. */
export const DEMO_COMPANY = 'demo-company';

/** The Temporal the embedded demo runs beside the worker: the CLI's dev server and its UI's codec server. */
export interface EmbeddedTemporal {
  address: string;
  namespace: string;
  uiUrl?: string;
  codecUrl: string;
  /** Stops what was started, newest first. */
  stops: (() => Promise<void>)[];
}

type Log = { info(line: string): void };

/** The UI's codec server: the payload ring only (tokens stay sealed) and the enrolment public key. */
async function startUiCodecServer(config: Config, rings: KeyRings, log: Log): Promise<CodecServer> {
  try {
    const started = await startCodecServer(config, rings.payload, rings.enrolment?.publicKey);
    log.info(started.description);
    return started.server;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitOnConfigProblems(error.problems);
    throw error;
  }
}

/**
 * Starts the Temporal `npm start` needs when no server is named: the UI's codec server and the dev server of the
 * temporal CLI (state in `PLUM_DATA_DIR`).
 */
export async function startEmbeddedTemporal(config: Config, rings: KeyRings, log: Log): Promise<EmbeddedTemporal> {
  const { temporal } = config;
  if (temporal.mode !== 'embedded') throw new Error('a Temporal server is named: nothing to embed');
  const stops: (() => Promise<void>)[] = [];
  try {
    const codecServer = await startUiCodecServer(config, rings, log);
    stops.unshift(() => codecServer.stop());
    const cliPath = await locateTemporalCli({ log: (line) => log.info(line) });
    if (!cliPath) {
      throw new Error(
        'no temporal CLI on PATH or in .tools, and no Go to build one: install the Temporal CLI (npm run ci:temporal-cli builds it with Go) or set TEMPORAL_ADDRESS to a Temporal server',
      );
    }
    const server = await DevServer.start({
      cliPath,
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      namespace: temporal.namespace,
      port: temporal.port,
      uiPort: temporal.uiPort,
      uiCodecEndpoint: codecServer.url,
    });
    stops.unshift(() => server.stop());
    return {
      address: server.address,
      namespace: server.namespace,
      ...(server.uiUrl && { uiUrl: server.uiUrl }),
      codecUrl: codecServer.url,
      stops,
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => undefined);
    throw error;
  }
}

/** The local Plum sandbox when no `PLUM_BASE_URL` is set: the demo's tokens live `PLUM_DEMO_TOKEN_LIFETIME_MS`. */
export function startDemoSandbox(config: Config): Promise<PlumSandbox> {
  return PlumSandbox.start({
    accessLifetimeMs: config.demoTokenLifetimeMs,
    refreshLifetimeMs: config.demoTokenLifetimeMs * 8,
  });
}

/** The demo company's credentials come from the sandbox; other companies from the usual places. */
export function demoCredentials(fallback: CredentialSource): StaticCredentialSource {
  return new StaticCredentialSource(new Map(), fallback);
}

/**
 * Terminates a demo keeper an earlier release wrote (a `.data` of 2.x), which this release cannot replay: its tokens
 * came from a sandbox that is gone. Called before the worker polls, so no worker is handed that run.
 */
export async function retireEarlierReleaseDemo(config: Config, client: Client, log: Log): Promise<void> {
  const workflowId = workflowIdFor(DEMO_COMPANY);
  if (!(await runsEarlierRelease(client, workflowId))) return;
  await client.workflow
    .getHandle(workflowId)
    .terminate(
      'the demo keeper was written by a release before 3.0, which this release cannot replay; the demo enrols it afresh',
    );
  log.info(
    `the demo keeper ${workflowId} in ${config.dataDir} was written by a release before 3.0, which this release cannot replay: terminated it (its tokens came from an earlier sandbox); the demo enrols afresh`,
  );
}

/**
 * Enrols the demo company in the sandbox; after a restart (the sandbox forgot its tokens, the SQLite state did not)
 * the running workflow is reseeded instead.
 */
export async function enrolDemo(
  config: Config,
  client: Client,
  sandbox: PlumSandbox,
  credentials: StaticCredentialSource,
): Promise<void> {
  const seeded = await sandbox.seedCompany({
    companyId: DEMO_COMPANY,
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
  });
  credentials.set(DEMO_COMPANY, { clientId: seeded.clientId, clientSecret: seeded.clientSecret });
  const lifetimeMs = config.demoTokenLifetimeMs;
  await new TokenKeeperClient({ client }).enrol(DEMO_COMPANY, seeded.tokens, {
    minLeadMs: Math.min(60_000, Math.floor(lifetimeMs / 4)),
  });
}
