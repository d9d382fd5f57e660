// R1: the worker killed (SIGKILL), drained (SIGTERM) or frozen (SIGSTOP, then a second worker takes over) at seeded
// points while every company rotates, with latency injected so the kill often lands while Plum is answering.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RotationMode } from '../../src/sandbox/store';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { companyIds, eventually, servedToken, sleep, statusOf } from '../lib/fleet';
import type { ChaosLab, LabWorker } from '../lib/lab';
import { orphansOf } from '../lib/orphans';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';

const ACCESS_LIFETIME_MS = 600_000;
const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGKILL'] as const;
type KillSignal = (typeof SIGNALS)[number];

interface ModeFigures {
  cycles: number;
  kills: Record<KillSignal, number>;
  /** Token sets lost, or rotations wasted, although a worker had the reply long enough to record it. */
  lostWithReply: number;
  /** Rotations whose reply was in flight at a kill (strict: LOST_IN_FLIGHT; grace: a second rotation). */
  inFlightAtKill: number;
  lostInFlightReauth: number;
  /** Orphans in SIGTERM rounds: a drain must finish the refresh at Plum (defect 1). */
  drainOrphans: number;
  otherReauth: number;
  unsettled: number;
  upstreamRotations: number;
  rejected: number;
  /** Rejected refresh calls by the kind of round: a frozen worker that wakes up sends a spent token (harmless). */
  rejectedBySignal: Record<KillSignal, number>;
  /** Every orphan with its round's signal and how long before the kill Plum issued it. */
  orphans: {
    signal: KillSignal;
    issuedBeforeKillMs: number;
    stallMs: number;
    inFlightAtKill: boolean;
    status: string;
  }[];
}

async function runMode(lab: ChaosLab, mode: RotationMode, sizes: ChaosSizes, random: SeededRandom) {
  await lab.sandbox.setOptions({ rotation: mode, accessLifetimeMs: ACCESS_LIFETIME_MS, graceMs: 60_000 });
  const ids = companyIds(`r1-${mode}`, sizes.killCompanies);
  let worker: LabWorker = await lab.startWorker();
  await lab.enrol(ids);
  const figures: ModeFigures = {
    cycles: 0,
    kills: { SIGKILL: 0, SIGTERM: 0, SIGSTOP: 0 },
    lostWithReply: 0,
    inFlightAtKill: 0,
    lostInFlightReauth: 0,
    drainOrphans: 0,
    otherReauth: 0,
    unsettled: 0,
    upstreamRotations: 0,
    rejected: 0,
    rejectedBySignal: { SIGKILL: 0, SIGTERM: 0, SIGSTOP: 0 },
    orphans: [],
  };
  const rotationsBefore = lab.sandbox.rotationCount();
  const rejectedBefore = lab.sandbox.callCount('refresh', 'rejected');
  for (let round = 0; round < sizes.killRounds; round++) {
    const signal = SIGNALS[round % SIGNALS.length]!;
    const rejectedInRound = lab.sandbox.callCount('refresh', 'rejected');
    const latencyMs = random.between(100, 500);
    await lab.sandbox.injectFault('refresh', { kind: 'latency', ms: latencyMs, times: ids.length });
    const before = new Map(
      await Promise.all(
        ids.map(
          async (id) =>
            [
              id,
              { pairs: lab.sandbox.store.requireCompany(id).pairs.length, status: await statusOf(lab, id) },
            ] as const,
        ),
      ),
    );
    // This process shares the cores with the worker: its longest stall until the kill is how long the worker may
    // also have been descheduled, unable to record a reply it held.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    await Promise.all(ids.map((id) => lab.keeper.forceRefresh(id, `chaos R1 round ${round + 1}`)));
    await sleep(random.between(0, latencyMs + 400));
    const killAt = Date.now();
    stalls.disable();
    const stallMs = Math.round(stalls.max / 1e6);
    figures.kills[signal] += 1;
    const frozen = signal === 'SIGSTOP' ? worker : undefined;
    worker.kill(signal);
    if (!frozen) await worker.exited;
    worker = await lab.startWorker();

    const settled = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const status = await statusOf(lab, id);
          if (status.status === 'NEEDS_REAUTH') return true;
          return status.status === 'ACTIVE' && status.generation > before.get(id)!.status.generation;
        }, 90_000),
      ),
    );
    let thawAt: number | undefined;
    if (frozen) {
      // The frozen worker wakes up holding stale work: Temporal must refuse what it tries to complete.
      thawAt = Date.now();
      frozen.kill('SIGCONT');
      await sleep(1000);
      await frozen.stop();
    }
    for (const [index, id] of ids.entries()) {
      figures.cycles += 1;
      if (!settled[index]) figures.unsettled += 1;
      const status = await statusOf(lab, id);
      const served = await servedToken(lab, id).catch(() => undefined);
      const orphans = orphansOf(lab.sandbox.store.requireCompany(id).pairs, before.get(id)!.pairs, served, {
        accessLifetimeMs: ACCESS_LIFETIME_MS,
        killAt,
        stallMs,
        ...(thawAt !== undefined && { thawAt }),
      });
      const inherent = signal === 'SIGTERM' ? [] : orphans.filter((o) => o.inFlightAtKill);
      for (const { issuedBeforeKillMs, inFlightAtKill } of orphans) {
        figures.orphans.push({ signal, issuedBeforeKillMs, stallMs, inFlightAtKill, status: status.status });
      }
      figures.inFlightAtKill += inherent.length;
      figures.lostWithReply += orphans.length - inherent.length;
      if (signal === 'SIGTERM') figures.drainOrphans += orphans.length;
      if (status.status === 'NEEDS_REAUTH') {
        if (status.reason === 'LOST_IN_FLIGHT' && inherent.length > 0) figures.lostInFlightReauth += 1;
        else figures.otherReauth += 1;
        // What an operator does: new tokens from the dashboard, then reseed.
        await lab.keeper.reseed(id, await lab.sandbox.regenerateTokens(id));
      }
    }
    figures.rejectedBySignal[signal] += lab.sandbox.callCount('refresh', 'rejected') - rejectedInRound;
  }
  figures.upstreamRotations = lab.sandbox.rotationCount() - rotationsBefore;
  figures.rejected = lab.sandbox.callCount('refresh', 'rejected') - rejectedBefore;
  await lab.retire(ids);
  await worker.stop();
  return figures;
}

export async function killWorkers(lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom): Promise<SectionResult> {
  const strict = await runMode(lab, 'strict', sizes, random);
  const grace = await runMode(lab, 'grace', sizes, random);
  const both = [strict, grace];
  const sum = (pick: (f: ModeFigures) => number) => both.reduce((total, f) => total + pick(f), 0);
  // Each cycle rotates once; in grace mode a reply lost in flight is followed by one more rotation with the same token.
  const extraRotations = (f: ModeFigures) => f.upstreamRotations - f.cycles - (f === grace ? f.inFlightAtKill : 0);
  const kills = (f: ModeFigures) =>
    `${f.kills.SIGKILL} SIGKILL, ${f.kills.SIGTERM} SIGTERM, ${f.kills.SIGSTOP} SIGSTOP`;
  return {
    id: 'R1',
    title: 'R1 worker killed mid-rotation (seeded kill points, 100–500 ms of upstream latency)',
    rows: [
      row('rotation cycles, strict / grace', `${strict.cycles} / ${grace.cycles} (${kills(strict)} per mode)`, {
        text: `≥ ${sizes.minCycles}`,
        met: sum((f) => f.cycles) >= sizes.minCycles,
      }),
      row('token sets lost where a worker had the reply', String(sum((f) => f.lostWithReply + f.otherReauth)), {
        text: '0',
        met: sum((f) => f.lostWithReply + f.otherReauth) === 0,
      }),
      row('orphaned rotations under SIGTERM (drain)', String(sum((f) => f.drainOrphans)), {
        text: '0',
        met: sum((f) => f.drainOrphans) === 0,
      }),
      row('companies not settled within 90 s', String(sum((f) => f.unsettled)), {
        text: '0',
        met: sum((f) => f.unsettled) === 0,
      }),
      row('extra upstream rotations (beyond one per cycle and the inherent ones)', String(sum(extraRotations)), {
        text: '0',
        met: sum(extraRotations) === 0,
      }),
      row(
        'replies in flight at a kill (inherent, apart)',
        `strict ${strict.inFlightAtKill} (LOST_IN_FLIGHT ${strict.lostInFlightReauth}, reseeded) · grace ${grace.inFlightAtKill} second rotations, 0 lockouts expected`,
      ),
      row(
        'upstream rotations / rejections',
        `strict ${strict.upstreamRotations} / ${strict.rejected} · grace ${grace.upstreamRotations} / ${grace.rejected}`,
      ),
    ],
    figures: { strict, grace },
  };
}
