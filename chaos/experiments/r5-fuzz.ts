// R5: property-based fuzzing (fast-check, seeded) of every entry point: configuration, upstream replies over HTTP,
// the CLI, client calls, workflow start input, update/signal/query arguments and garbage replies through a live
// keeper. Figures: cases, outcomes that were not a clear typed answer, workflow-task failures, state lost.
import fc from 'fast-check';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { ConfigError, loadConfig } from '../../src/config';
import { MAX_EPOCH_MS, WORKFLOW_TYPE, reseedInputSchema, workflowIdFor } from '../../src/contract';
import { PlumClient } from '../../src/plum/client';
import { PlumError } from '../../src/plum/errors';
import { tokenGrantBody } from '../../src/plum/token-set';
import { MARK, anyArgument, awkwardString, jsonish, replyBody } from '../lib/arbitraries';
import type { TaskFailure } from '../lib/fleet';
import { eventually, servedToken, statusOf, workflowTaskFailureCauses } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';
import { Tally, unclearMessage } from '../lib/tally';
import { fuzzCli } from './r5-cli';
import { fuzzPayloads } from './r5-payloads';
import { entriesUnderQueries } from './r5-entries';
import { fuzzPlumApi } from './r5-plum-api';

const CONFIG_VARIABLES = [
  'PLUM_LEAD_FRACTION',
  'PLUM_MIN_LEAD_MS',
  'PLUM_JITTER_FRACTION',
  'PLUM_HTTP_TIMEOUT_MS',
  'PLUM_REFRESH_ACTIVITIES_PER_SECOND',
  'PLUM_MAX_CACHED_WORKFLOWS',
  'PLUM_METRICS_PORT',
  'PLUM_BASE_URL',
  'TEMPORAL_ADDRESS',
  'PLUM_LOG_LEVEL',
];

/** The innermost message of a Temporal failure chain (the workflow's own words sit in the cause). */
function innermost(error: unknown): Error | unknown {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

function fuzzConfig(sample: <T>(a: fc.Arbitrary<T>) => T[]): Tally {
  const tally = new Tally('configuration');
  for (const [env, withSecrets] of sample(
    fc.tuple(fc.dictionary(fc.constantFrom(...CONFIG_VARIABLES), awkwardString), fc.boolean()),
  )) {
    const full: Record<string, string> = { ...env };
    if (withSecrets) {
      full.PLUM_CLIENT_SECRET = `${MARK}-secret`;
      full.PLUM_CODEC_KEYS = `k1:${MARK}!`;
    }
    try {
      loadConfig(full);
      tally.record(undefined);
    } catch (error) {
      if (!(error instanceof ConfigError)) tally.record(`not a ConfigError: ${String(error)}`);
      else if (error.message.includes(MARK)) tally.record('a secret echoed');
      else if (!error.problems.every((p) => error.message.includes(p.variable))) tally.record('a variable not named');
      else tally.record(undefined);
    }
  }
  return tally;
}

async function fuzzReplies(lab: ChaosLab, sample: <T>(a: fc.Arbitrary<T>) => T[]): Promise<Tally> {
  const tally = new Tally('upstream replies (HTTP)');
  const [company] = await lab.seed(['r5-plum']);
  const plum = new PlumClient({ baseUrl: lab.sandbox.url, timeoutMs: 2000 });
  const credentials = { clientId: company!.clientId, clientSecret: company!.clientSecret };
  const cases = sample(
    fc.tuple(
      fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503),
      replyBody,
      fc.constantFrom('application/json', 'text/html', 'text/plain'),
    ),
  );
  for (const [status, body, contentType] of cases) {
    await lab.sandbox.injectFault('refresh', { kind: 'reply', status, body, headers: { 'content-type': contentType } });
    try {
      const set = await plum.refresh(company!.tokens.refresh_token, credentials);
      const bounded = set.accessTokenExpiresAt > 0 && set.accessTokenExpiresAt <= MAX_EPOCH_MS;
      tally.record(bounded ? undefined : `accepted an expiry out of range: ${set.accessTokenExpiresAt}`);
    } catch (error) {
      if (!(error instanceof PlumError)) tally.record(`not a PlumError: ${String(error)}`);
      else tally.record(unclearMessage(error, [MARK, body.length >= 12 ? body : MARK]));
    }
  }
  await lab.sandbox.clearFaults();
  return tally;
}

async function fuzzClient(lab: ChaosLab, live: string, sample: <T>(a: fc.Arbitrary<T>) => T[]): Promise<Tally> {
  const tally = new Tally('client calls');
  const companyId = fc.oneof(fc.constant(live), awkwardString, fc.string({ maxLength: 300 }));
  const calls = sample(
    fc.oneof(
      fc.tuple(fc.constant('status' as const), companyId),
      fc.tuple(fc.constant('getAccessToken' as const), companyId),
      fc.tuple(
        fc.constant('refreshNow' as const),
        companyId,
        fc.oneof(awkwardString, fc.string({ minLength: 300, maxLength: 3000 })),
      ),
      fc.tuple(fc.constant('getUserToken' as const), companyId, awkwardString, awkwardString),
      fc.tuple(fc.constant('enrol' as const), companyId, jsonish),
      fc.tuple(fc.constant('reseed' as const), companyId, anyArgument),
    ),
  );
  const secrets = lab.secrets();
  for (const [method, id, a, b] of calls) {
    if ((method === 'enrol' || method === 'reseed') && reseedInputSchema.safeParse({ tokens: a }).success) continue;
    try {
      const keeper = lab.keeper as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      await keeper[method]!.call(lab.keeper, id, a, b);
      tally.record(undefined);
    } catch (error) {
      tally.record(unclearMessage(error, secrets));
    }
  }
  return tally;
}

async function fuzzStartInput(lab: ChaosLab, sample: <T>(a: fc.Arbitrary<T>) => T[]): Promise<Tally> {
  const tally = new Tally('workflow start input');
  const inputs = sample(
    fc.tuple(
      fc.oneof(
        anyArgument,
        fc.record({ companyId: awkwardString, tokens: jsonish, policy: anyArgument, carried: anyArgument }),
      ),
      fc.boolean(),
    ),
  );
  for (const [index, [input, foreignId]] of inputs.entries()) {
    const workflowId = foreignId ? `r5-foreign-${index}` : workflowIdFor(`r5-start-${index}`);
    const handle = await lab.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: lab.taskQueue,
      workflowId,
      args: [input],
    });
    const outcome = await Promise.race([
      handle.result().then(
        () => 'completed',
        (error: unknown) => unclearMessage(innermost(error), []) ?? 'failed clearly',
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('running'), 3000)),
    ]);
    if (outcome === 'running') {
      const status = await statusOf(lab, `r5-start-${index}`).catch((e: unknown) => e);
      tally.record(status instanceof Error ? unclearMessage(innermost(status), []) : undefined);
      await handle.terminate('chaos R5: fuzzed start input checked');
    } else {
      tally.record(outcome === 'completed' || outcome === 'failed clearly' ? undefined : outcome);
    }
  }
  return tally;
}

async function fuzzMessages(lab: ChaosLab, live: string, sample: <T>(a: fc.Arbitrary<T>) => T[]): Promise<Tally> {
  const tally = new Tally('update, signal and query arguments');
  const handle = lab.client.workflow.getHandle(workflowIdFor(live));
  const messages = sample(
    fc.tuple(
      fc.constantFrom(
        'refreshNow',
        'userToken',
        'reseed',
        'forceRefresh',
        'cachedUserToken',
        'accessToken',
        'noSuchUpdate',
      ),
      anyArgument,
    ),
  );
  for (const [name, argument] of messages) {
    if (name === 'reseed' && reseedInputSchema.safeParse(argument).success) continue;
    try {
      if (name === 'forceRefresh') await handle.signal(name, argument);
      else if (name === 'cachedUserToken' || name === 'accessToken') await handle.query(name, argument);
      else await handle.executeUpdate(name, { args: [argument] });
      tally.record(undefined);
    } catch (error) {
      tally.record(unclearMessage(innermost(error), lab.secrets()));
    }
  }
  return tally;
}

async function fuzzLiveReplies(lab: ChaosLab, live: string, sample: <T>(a: fc.Arbitrary<T>) => T[]): Promise<Tally> {
  const tally = new Tally('garbage replies through a live keeper');
  const garbage = fc
    .tuple(fc.constantFrom(200, 500, 502, 503, 504), replyBody)
    .filter(([, body]) => !tokenGrantBody.safeParse(safeJson(body)).success);
  for (const [status, body] of sample(garbage)) {
    await lab.sandbox.injectFault('refresh', { kind: 'reply', status, body, headers: { 'content-type': 'text/html' } });
    const outcome = await lab.rotateNow(live, 'chaos R5: garbage reply').then(
      () => undefined,
      (error: unknown) => unclearMessage(error, lab.secrets()),
    );
    const active = await eventually(async () => (await statusOf(lab, live)).status === 'ACTIVE', 15_000);
    tally.record(outcome ?? (active ? undefined : `not ACTIVE after a ${status} reply`));
  }
  return tally;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function fuzzInputs(lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom): Promise<SectionResult> {
  const seed = random.between(1, 2 ** 30);
  const sample = <T>(arbitrary: fc.Arbitrary<T>, numRuns = sizes.fuzzRuns) => fc.sample(arbitrary, { seed, numRuns });
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: 600_000 });
  const worker = await lab.startWorker();
  const live = 'r5-live';
  await lab.enrol([live]);

  const tallies = [
    fuzzConfig(sample),
    await fuzzReplies(lab, sample),
    await fuzzCli(lab, live, sample, sizes.cliRuns),
    await fuzzClient(lab, live, sample),
    await fuzzStartInput(lab, (a) => sample(a, Math.max(5, Math.round(sizes.fuzzRuns / 6)))),
    await fuzzMessages(lab, live, sample),
    await fuzzPayloads(lab, live, sample),
    await fuzzLiveReplies(lab, live, (a) => sample(a, sizes.liveReplyRuns)),
    await entriesUnderQueries(lab, sizes.fuzzRuns >= 300 ? 10 : 3),
    await fuzzPlumApi(lab, live, sample, 5),
  ];

  const workflowIds = [workflowIdFor(live)];
  for await (const execution of lab.client.workflow.list({
    query: `WorkflowId STARTS_WITH 'plum-company:r5-' OR WorkflowId STARTS_WITH 'r5-'`,
  })) {
    workflowIds.push(execution.workflowId);
  }
  const failedTasks: TaskFailure[] = [];
  for (const id of new Set(workflowIds)) failedTasks.push(...(await workflowTaskFailureCauses(lab, id)));
  const taskFailureCauses = failedTasks.filter((f) => !f.benign).map((f) => f.text);
  const taskFailures = taskFailureCauses.length;
  const unhandledCommands = failedTasks.length - taskFailures;
  await eventually(async () => (await statusOf(lab, live)).status === 'ACTIVE', 15_000);
  const status = await statusOf(lab, live);
  const newest = lab.sandbox.store.requireCompany(live).pairs.at(-1)!;
  const stateLost =
    (status.status === 'ACTIVE' ? 0 : 1) +
    ((await servedToken(lab, live)) === newest.accessToken ? 0 : 1) +
    (lab.sandbox.rotationCount(live) === status.upstreamRefreshes ? 0 : 1);
  await lab.retire([live]);
  await worker.stop();

  const cases = tallies.reduce((sum, t) => sum + t.cases, 0);
  const unclear = tallies.reduce((sum, t) => sum + t.unclear, 0);
  return {
    id: 'R5',
    title: `R5 fuzzed inputs at every entry point (fast-check, seed ${seed})`,
    rows: [
      row('cases tried', `${cases} (${tallies.map((t) => `${t.target} ${t.cases}`).join(', ')})`, {
        text: `≥ ${sizes.fuzzRuns >= 300 ? 1000 : sizes.fuzzRuns}`,
        met: cases >= (sizes.fuzzRuns >= 300 ? 1000 : sizes.fuzzRuns),
      }),
      row(
        'outcomes that were not a clear typed answer',
        unclear === 0
          ? '0'
          : `${unclear}: ${tallies.flatMap((t) => t.examples.map((e) => `${t.target}: ${e}`)).join(' | ')}`,
        { text: '0', met: unclear === 0 },
      ),
      row(
        'WorkflowTaskFailed events in the fuzzed workflows (UnhandledCommand apart)',
        `${taskFailures} in ${new Set(workflowIds).size} workflows${taskFailures ? ` (${taskFailureCauses.slice(0, 2).join(' | ')})` : ''}; besides, ${unhandledCommands} declined as UnhandledCommand (a message arrived as the task completed; retried at once)`,
        {
          text: '0',
          met: taskFailures === 0,
        },
      ),
      row('state lost (live keeper: status, served token, rotation count)', String(stateLost), {
        text: '0',
        met: stateLost === 0,
      }),
    ],
    figures: { seed, tallies, taskFailures, taskFailureCauses, unhandledCommands, stateLost },
  };
}
