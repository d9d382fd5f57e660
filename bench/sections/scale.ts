import { companyIds } from '../lib/enrol';
import type { Harness, WorkerProcess } from '../lib/harness';
import { cpuMeter, mebibytes, processUsage } from '../lib/process-usage';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { inParallel, waitUntil } from '../lib/stats';
import type { BenchSizes } from './sizes';
import { DEFAULT_WORKER_SETTINGS, forceRefreshSignal, workflowIdFor } from '../../src/contract';
import { configVariables } from '../../src/config/variables';
import { SANDBOX_ENDPOINTS } from '../../src/sandbox/faults';

const TASK_QUEUE = 'bench-scale';
const DAY_MS = 24 * 3600_000;
const SIGNAL_CONCURRENCY = 64;

/** Every company asked to rotate at once; rotations per second while `worker` drains them, and who was busy. */
async function storm(harness: Harness, ids: readonly string[], watchMs: number, workerPid: number) {
  const before = harness.sandbox.rotationCount();
  const meter = cpuMeter({ worker: workerPid, server: harness.serverPid(), bench: process.pid });
  const started = Date.now();
  await inParallel(ids, SIGNAL_CONCURRENCY, async (id) => {
    await harness.client.workflow.getHandle(workflowIdFor(id)).signal(forceRefreshSignal, { reason: 'bench storm' });
  });
  const drained = await waitUntil(() => harness.sandbox.rotationCount() - before >= ids.length, watchMs, 200);
  const seconds = (Date.now() - started) / 1000;
  const rotations = harness.sandbox.rotationCount() - before;
  return { drained, seconds, rotations, perSecond: rotations / seconds, cpuCores: meter.stop() };
}

/** Which side held the storm back: the cap when it binds, else whichever process used the most CPU. */
function bottleneck(perSecond: number, cap: number | undefined, cpu: Record<string, number>): string {
  if (cap !== undefined && perSecond >= cap * 0.8) return `the rate cap (${cap}/s)`;
  const [busiest, share] = Object.entries(cpu).sort((a, b) => b[1] - a[1])[0] ?? ['unknown', 0];
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  return `${busiest} CPU (${share.toFixed(2)} cores; all three ${total.toFixed(2)} of the machine's cores)`;
}

const SETTLE_SAMPLE_MS = 5000;

/**
 * The worker's memory once its resident size stops falling. V8 hands the workflow thread's garbage (the contexts of
 * workflows evicted during enrolment) back to the system only after its memory reducer has seen the thread idle for a
 * while, so the figure right after enrolment overstates what an idle worker holds.
 */
async function settledMemory(worker: WorkerProcess, sizes: BenchSizes) {
  const started = Date.now();
  const recent: number[] = [];
  let memory = await worker.memory();
  for (;;) {
    recent.push(memory.rss);
    if (recent.length > 3) recent.shift();
    const flat = recent.length === 3 && Math.max(...recent) - Math.min(...recent) <= 0.01 * Math.max(...recent);
    const elapsed = Date.now() - started;
    if ((flat && elapsed >= sizes.rssSettleMinMs) || elapsed >= sizes.rssSettleMaxMs)
      return { memory, seconds: elapsed / 1000 };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SAMPLE_MS));
    memory = await worker.memory();
  }
}

async function idleMemory(harness: Harness, worker: WorkerProcess, sizes: BenchSizes) {
  // Idle: no new upstream call for two seconds.
  let last = -1;
  await waitUntil(
    () => {
      const calls = SANDBOX_ENDPOINTS.reduce((sum, endpoint) => sum + harness.sandbox.callCount(endpoint), 0);
      const settled = calls === last;
      last = calls;
      return settled;
    },
    60_000,
    2000,
  );
  const afterEnrol = await worker.memory();
  const { memory, seconds } = await settledMemory(worker, sizes);
  const serverPid = harness.serverPid();
  return {
    workerRssAfterEnrolMiB: mebibytes(afterEnrol.rss),
    workerRssSettledAfterSeconds: seconds,
    workerRssMiB: mebibytes(memory.rss),
    workerHeapUsedMiB: mebibytes(memory.heapUsed),
    serverRssMiB: serverPid ? mebibytes(processUsage(serverPid)?.rssBytes ?? NaN) : null,
  };
}

/** N companies on one worker: enrolment rate, idle memory, and refresh storms with the cap lifted and at its default. */
export async function scale(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const ids = companyIds('bench-scale', sizes.scaleCompanies);
  const cache = sizes.scaleCacheSize !== undefined ? { maxCachedWorkflows: sizes.scaleCacheSize } : {};
  const {
    worker: uncapped,
    enrolPerSecond,
    enrolCpuCores,
  } = await harness.enrolledOn({ taskQueue: TASK_QUEUE, ...cache }, ids, sizes.enrolConcurrency);
  const memory = await idleMemory(harness, uncapped, sizes);
  const free = await storm(harness, ids, sizes.uncappedStormWatchMs, uncapped.pid);
  await uncapped.stop();

  const defaultCap = configVariables.shape.PLUM_REFRESH_ACTIVITIES_PER_SECOND.parse(undefined);
  const capped = await harness.startWorker({ taskQueue: TASK_QUEUE, activitiesPerSecond: defaultCap, ...cache });
  const atCap = await storm(harness, ids, sizes.cappedStormWatchMs, capped.pid);
  await capped.stop();
  const drainHours = sizes.scaleCompanies / atCap.perSecond / 3600;
  const policy = DEFAULT_WORKER_SETTINGS.policy;
  // The earliest a scheduled refresh of a 15-day token comes is lead + full jitter before expiry.
  const leadHours = (15 * DAY_MS * policy.leadFraction * (1 - policy.jitterFraction)) / 3600_000;

  const figures = {
    companies: sizes.scaleCompanies,
    enrolPerSecond,
    enrolCpuCores,
    enrolBottleneck: bottleneck(enrolPerSecond, undefined, enrolCpuCores),
    ...memory,
    uncappedStorm: { ...free, bottleneck: bottleneck(free.perSecond, undefined, free.cpuCores) },
    cappedStorm: { ...atCap, cap: defaultCap, drainHoursFor: drainHours, timeLeftBeforeExpiryHours: leadHours },
  };
  return {
    id: 'scale',
    title: `4. Scale: ${sizes.scaleCompanies.toLocaleString('en')} companies on one worker`,
    rows: [
      row('enrol rate', `${enrolPerSecond.toFixed(0)} companies/s (${sizes.enrolConcurrency} in flight)`, {
        text: '≥ 200/s',
        met: enrolPerSecond >= 200,
      }),
      row('enrol: bottleneck', figures.enrolBottleneck),
      row('worker RSS right after enrolment', `${memory.workerRssAfterEnrolMiB} MiB`),
      row(
        'worker RSS / main-thread heap used, all idle',
        `${memory.workerRssMiB} MiB / ${memory.workerHeapUsedMiB} MiB (settled after ${memory.workerRssSettledAfterSeconds.toFixed(0)} s idle)`,
        { text: 'RSS ≤ 500 MB', met: memory.workerRssMiB * 1.048576 <= 500 },
      ),
      row('Temporal dev server RSS, all idle', `${memory.serverRssMiB ?? 'n/a'} MiB`),
      row(
        'storm, cap lifted: refreshes/s',
        `${free.perSecond.toFixed(0)}/s (${free.rotations} in ${free.seconds.toFixed(0)} s${free.drained ? ', all' : `, watched ${sizes.uncappedStormWatchMs / 1000} s`})`,
      ),
      row('storm, cap lifted: bottleneck', figures.uncappedStorm.bottleneck),
      row(
        `storm at the default cap (${defaultCap}/s): rate`,
        `${atCap.perSecond.toFixed(1)}/s over ${atCap.seconds.toFixed(0)} s`,
      ),
      row(
        'storm at the default cap: drain vs time left',
        `${drainHours.toFixed(2)} h to drain (worked out from the rate) vs ≥ ${leadHours.toFixed(0)} h before any token expires`,
        { text: 'drain < time left', met: drainHours < leadHours },
      ),
    ],
    figures,
  };
}
