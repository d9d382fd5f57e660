// R7: every recorded history (test/histories) and every history this run produced replays against the current
// workflow code; and a scratch copy of the code with one command moved (a timer before the first local activity) is
// caught replaying a history from this run, which shows the replays above could have failed.
import { replaySinks } from '../../src/worker/keeper-metrics';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { createDataConverter, workerDataConverter } from '../../src/codec/data-converter';
import { KEEPER_BUNDLE_OPTIONS } from '../../src/worker/workflow-bundle';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../../test/helpers/codec';
import { HISTORIES_DIR, recordedWorkflowId } from '../../test/helpers/histories';
import { allRuns, historyOf } from '../lib/histories';
import type { ChaosLab } from '../lib/lab';

const ROOT = resolve(__dirname, '..', '..');
const FIRST_COMMAND = '  await keeper.startUp(await workerSettings(),';

/** Bundles a copy of src/ whose workflow schedules a timer before its first local activity. */
async function mutatedBundle(): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'chaos-mutant-'));
  try {
    cpSync(join(ROOT, 'src'), join(scratch, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
    const file = join(scratch, 'src', 'workflows', 'company-token-workflow.ts');
    const code = readFileSync(file, 'utf8');
    if (!code.includes(FIRST_COMMAND)) throw new Error('R7: the mutation point moved; update FIRST_COMMAND');
    writeFileSync(file, code.replace(FIRST_COMMAND, `  await wf.sleep(1);\n${FIRST_COMMAND}`));
    const bundle = await bundleWorkflowCode({
      ...KEEPER_BUNDLE_OPTIONS,
      workflowsPath: join(scratch, 'src', 'workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
    });
    return bundle.code;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function replays(options: Parameters<typeof Worker.runReplayHistory>[0], history: unknown, workflowId: string) {
  try {
    await Worker.runReplayHistory({ ...options, sinks: replaySinks() }, history as never, workflowId);
    return undefined;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
  }
}

export async function replayHistories(lab: ChaosLab): Promise<SectionResult> {
  const recordedOptions = {
    workflowBundle: { codePath: lab.bundlePath },
    dataConverter: workerDataConverter(createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING)),
  };
  const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'));
  const recordedFailures: string[] = [];
  for (const file of files) {
    const history: unknown = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
    const failure = await replays(
      recordedOptions,
      history,
      await recordedWorkflowId(history, recordedOptions.dataConverter),
    );
    if (failure) recordedFailures.push(`${file}: ${failure}`);
  }

  const rings = lab.rings();
  const dataConverter = workerDataConverter(createDataConverter(rings.codec, rings.token, rings.enrolment));
  const capturedFailures: string[] = [];
  let keptDir: string | undefined;
  let resetRuns = 0;
  let sample: { history: unknown; workflowId: string } | undefined;
  const runs = await allRuns(lab);
  for (const run of runs) {
    const history = await historyOf(lab, run);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    // The offline replayer gives a reset run its original run id, so a reset run cannot be replayed offline; the
    // reset test replays one on a fresh live worker instead.
    if (started?.originalExecutionRunId && started.originalExecutionRunId !== run.runId) {
      resetRuns += 1;
      continue;
    }
    const failure = await replays(
      { workflowBundle: { codePath: lab.bundlePath }, dataConverter },
      history,
      run.workflowId,
    );
    if (failure) {
      // Kept for a closer look (it holds only ciphertext and sealed tokens of the sandbox), with this lab's throwaway
      // key rings beside it: without them nothing can replay it once the lab is gone.
      if (!keptDir) {
        keptDir = mkdtempSync(join(tmpdir(), 'chaos-replay-failures-'));
        const env = Object.entries(lab.keyEnv()).map(([name, value]) => `${name}=${value}\n`);
        writeFileSync(join(keptDir, 'lab-keys.env'), env.join(''), { mode: 0o600 });
      }
      const kept = join(keptDir, `${run.workflowId.replace(/[^\w-]/g, '_')}-${run.runId}.json`);
      writeFileSync(
        kept,
        JSON.stringify(temporal.api.history.v1.History.toObject(history as never, { longs: String, bytes: String })),
      );
      capturedFailures.push(`${run.workflowId}: ${failure} (history kept in ${kept})`);
    }
    if (!sample && (history.events?.length ?? 0) > 20 && run.workflowId.startsWith('plum-company:'))
      sample = { history, workflowId: run.workflowId };
  }

  const mutant = sample
    ? await replays(
        { workflowBundle: { code: await mutatedBundle() }, dataConverter },
        sample.history,
        sample.workflowId,
      )
    : 'no history to replay';
  const caught = mutant !== undefined && /Determinism|Nondeterminism|TMPRL1100/i.test(mutant);
  const replayed = runs.length - resetRuns;
  return {
    id: 'R7',
    title: 'R7 replay of every recorded and captured history against the current code',
    rows: [
      row(
        'recorded histories replayed',
        `${files.length - recordedFailures.length} of ${files.length}${recordedFailures.length ? `: ${recordedFailures.join('; ')}` : ''}`,
        {
          text: 'all',
          met: recordedFailures.length === 0 && files.length > 0,
        },
      ),
      row(
        'histories captured in this run replayed',
        `${replayed - capturedFailures.length} of ${replayed}${capturedFailures.length ? `: ${capturedFailures.slice(0, 3).join('; ')}` : ''} (${resetRuns} reset runs left to the live reset test)`,
        {
          text: 'all',
          met: capturedFailures.length === 0 && replayed > 0,
        },
      ),
      row(
        'a timer moved before the first command in a scratch copy',
        caught ? `caught (${mutant!.slice(0, 90)})` : `not caught: ${mutant ?? 'replayed cleanly'}`,
        {
          text: 'caught',
          met: caught,
        },
      ),
    ],
    figures: { recorded: files.length, recordedFailures, captured: replayed, capturedFailures, resetRuns, mutant },
  };
}
