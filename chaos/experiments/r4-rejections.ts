// R4: every definitive rejection shape Plum answers a refresh with, one company each: one attempt, NEEDS_REAUTH with
// the right reason, and a reseed back to ACTIVE. Beside them, the replies that look definitive and are not (a
// proxy's HTML page, a rate limit, a user-token refusal, a stale token file): each must leave the company ACTIVE.
// Last, Plum answering every refresh with `expires_in: 0`: rotations stay spaced and an enrolment gets through.
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { StaleTokensError, UserTokenRejectedError } from '../../src/client';
import type { StatusReason } from '../../src/contract';
import { PlumClient } from '../../src/plum/client';
import type { Fault } from '../../src/sandbox/faults';
import type { CallEvent } from '../../src/sandbox/plum-sandbox';
import { eventually, sleep, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';

interface Rejection {
  name: string;
  reason: StatusReason;
  arrange(lab: ChaosLab, companyId: string): Promise<void>;
}

const fault = (f: Fault) => (lab: ChaosLab) => lab.sandbox.injectFault('refresh', f);

const REJECTIONS: Rejection[] = [
  {
    name: 'refresh token spent elsewhere',
    reason: 'INVALID_GRANT',
    async arrange(lab, companyId) {
      const company = lab.companies.get(companyId)!;
      const newest = lab.sandbox.store.requireCompany(companyId).pairs.at(-1)!;
      await new PlumClient({ baseUrl: lab.sandbox.url }).refresh(newest.refreshToken, {
        clientId: company.clientId,
        clientSecret: company.clientSecret,
      });
    },
  },
  {
    name: 'password reset',
    reason: 'TOKEN_KILLED',
    arrange: (lab, id) => lab.sandbox.killTokens(id, 'password_reset'),
  },
  {
    name: 'tokens regenerated in the dashboard',
    reason: 'TOKEN_KILLED',
    arrange: (lab, id) => lab.sandbox.killTokens(id, 'tokens_regenerated'),
  },
  {
    name: 'company disabled',
    reason: 'COMPANY_DISABLED',
    arrange: (lab, id) => lab.sandbox.setCompanyDisabled(id, true),
  },
  {
    name: 'caller not whitelisted',
    reason: 'IP_NOT_WHITELISTED',
    arrange: (lab, id) => lab.sandbox.setIpWhitelisted(id, false),
  },
  {
    name: 'oauth invalid_client',
    reason: 'INVALID_CLIENT',
    arrange: fault({ kind: 'oauth', error: 'invalid_client', status: 401 }),
  },
  {
    name: 'oauth unauthorized_client',
    reason: 'INVALID_CLIENT',
    arrange: fault({ kind: 'oauth', error: 'unauthorized_client' }),
  },
  { name: 'oauth invalid_request', reason: 'BAD_REQUEST', arrange: fault({ kind: 'oauth', error: 'invalid_request' }) },
  { name: 'legacy {success:0}', reason: 'TOKEN_KILLED', arrange: fault({ kind: 'legacy', status: 401 }) },
  {
    name: 'application PLE10014',
    reason: 'INVALID_CLIENT',
    arrange: fault({ kind: 'application', errorId: 'PLE10014', status: 401 }),
  },
];

async function undo(lab: ChaosLab, companyId: string): Promise<void> {
  await lab.sandbox.setCompanyDisabled(companyId, false);
  await lab.sandbox.setIpWhitelisted(companyId, true);
  await lab.sandbox.clearFaults();
}

const STORM_SPACING_MS = 1000;
const STORM_WINDOW_MS = 6000;

/** Plum answering `expires_in: 0` must not become a refresh storm, and an enrolment must still get through. */
async function zeroLifetimeStorm(lab: ChaosLab) {
  const worker = await lab.startWorker({ minRotationIntervalMs: STORM_SPACING_MS });
  const companyId = 'r4-zero-lifetime';
  await lab.enrol([companyId]);
  const rotationsBefore = lab.sandbox.rotationCount(companyId);
  const at: number[] = [];
  const onCall = (event: CallEvent) => {
    if (event.committed && event.endpoint === 'refresh' && event.companyId === companyId) at.push(Date.now());
  };
  lab.sandbox.events.on('call', onCall);
  let enrol: string;
  try {
    await lab.sandbox.setOptions({ accessLifetimeMs: 0 });
    await lab.keeper.forceRefresh(companyId, 'chaos R4: zero lifetime');
    await sleep(STORM_WINDOW_MS);
    const fresh = await lab.sandbox.regenerateTokens(companyId);
    await lab.sandbox.setOptions({ accessLifetimeMs: 600_000 });
    enrol = await lab.keeper.enrol(companyId, fresh).then(
      (status) => status.status,
      (e: Error) => e.name,
    );
  } finally {
    lab.sandbox.events.off('call', onCall);
    await lab.sandbox.setOptions({ accessLifetimeMs: 600_000 });
  }
  const inWindow = at.filter((t) => t <= at[0]! + STORM_WINDOW_MS);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  await lab.retire([companyId]);
  await worker.stop();
  return {
    rotations: inWindow.length,
    total: lab.sandbox.rotationCount(companyId) - rotationsBefore,
    closestGapMs: gaps.length ? Math.min(...gaps) : undefined,
    enrol,
  };
}

export async function rejectionShapes(lab: ChaosLab): Promise<SectionResult> {
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: 600_000 });
  const worker = await lab.startWorker();
  const cases: { name: string; reason: string; attempts: number; reseedMs: number; ok: boolean }[] = [];
  for (const [index, rejection] of REJECTIONS.entries()) {
    const companyId = `r4-${index + 1}`;
    await lab.enrol([companyId]);
    await rejection.arrange(lab, companyId);
    const callsBefore = lab.sandbox.callCount('refresh');
    await lab.keeper.forceRefresh(companyId, `chaos R4: ${rejection.name}`);
    const reached = await eventually(async () => (await statusOf(lab, companyId)).status === 'NEEDS_REAUTH', 30_000);
    await sleep(300);
    const attempts = lab.sandbox.callCount('refresh') - callsBefore;
    const status = await statusOf(lab, companyId);
    await undo(lab, companyId);
    const tokens = await lab.sandbox.regenerateTokens(companyId);
    const t0 = performance.now();
    const reseeded = await lab.keeper.reseed(companyId, tokens);
    const reseedMs = performance.now() - t0;
    cases.push({
      name: rejection.name,
      reason: status.reason ?? status.status,
      attempts,
      reseedMs,
      ok: reached && status.reason === rejection.reason && reseeded.status === 'ACTIVE',
    });
    await lab.retire([companyId]);
  }

  // Replies that are not definitive: the company stays ACTIVE.
  const companyId = 'r4-not-definitive';
  await lab.enrol([companyId]);
  const stayed: string[] = [];
  const proxy = '<html><body><h1>403 Forbidden</h1>nginx</body></html>';
  await lab.sandbox.injectFault('refresh', {
    kind: 'reply',
    status: 403,
    body: proxy,
    headers: { 'content-type': 'text/html' },
  });
  const afterProxy = await lab.rotateNow(companyId, 'chaos R4: proxy page').then(
    () => 'rotated',
    (e: Error) => e.name,
  );
  if (await eventually(async () => (await statusOf(lab, companyId)).status === 'ACTIVE', 15_000)) {
    stayed.push(`proxy 403 HTML page: refreshNow → ${afterProxy}, then ACTIVE`);
  }

  const limitedBefore = lab.sandbox.callCount('refresh', 'injected_error');
  await lab.sandbox.injectFault('refresh', { kind: 'rateLimit', penaltySeconds: 3 });
  await lab.keeper.forceRefresh(companyId, 'chaos R4: rate limit');
  await eventually(() => lab.sandbox.callCount('refresh', 'injected_error') > limitedBefore, 10_000);
  const penaltyCalls = lab.sandbox.callCount('refresh');
  await lab.keeper.forceRefresh(companyId, 'chaos R4: forced during the penalty');
  await sleep(2000);
  const callsDuringPenalty = lab.sandbox.callCount('refresh') - penaltyCalls;
  await eventually(async () => (await statusOf(lab, companyId)).status === 'ACTIVE', 15_000);
  if (callsDuringPenalty === 0 && (await statusOf(lab, companyId)).status === 'ACTIVE') {
    stayed.push('rate limit: 0 calls during the penalty, forced or not');
  }

  await lab.sandbox.setUserDisabled(companyId, 'off@acme.test', true);
  const userRefusal = await lab.keeper.getUserToken(companyId, 'off@acme.test').then(
    () => 'issued',
    (e: unknown) => (e instanceof UserTokenRejectedError ? `UserTokenRejectedError/${e.reason}` : String(e)),
  );
  if (userRefusal === 'UserTokenRejectedError/USER_DISABLED' && (await statusOf(lab, companyId)).status === 'ACTIVE') {
    stayed.push('user-token refusal: typed USER_DISABLED, company ACTIVE');
  }

  const original = lab.companies.get(companyId)!.tokens;
  const generation = (await statusOf(lab, companyId)).generation;
  const staleEnrol = await lab.keeper.enrol(companyId, original).then(
    () => 'accepted',
    (e: unknown) => (e instanceof StaleTokensError ? 'StaleTokensError' : String(e)),
  );
  const after = await statusOf(lab, companyId);
  if (staleEnrol === 'StaleTokensError' && after.status === 'ACTIVE' && after.generation === generation) {
    stayed.push('re-run enrol with the spent token file: StaleTokensError, nothing replaced');
  }
  await lab.retire([companyId]);
  await worker.stop();
  const storm = await zeroLifetimeStorm(lab);

  const wrong = cases.filter((c) => !c.ok);
  const maxAttempts = Math.max(...cases.map((c) => c.attempts));
  const slowestReseed = Math.max(...cases.map((c) => c.reseedMs));
  return {
    id: 'R4',
    title: 'R4 each definitive rejection shape, and the replies that only look definitive',
    rows: [
      row(
        'shapes → NEEDS_REAUTH with the right reason',
        `${cases.length - wrong.length} of ${cases.length}${wrong.length ? ` (wrong: ${wrong.map((c) => `${c.name} → ${c.reason}`).join(', ')})` : ''}`,
        {
          text: 'all',
          met: wrong.length === 0,
        },
      ),
      row('upstream attempts until NEEDS_REAUTH, most', String(maxAttempts), { text: '1', met: maxAttempts === 1 }),
      row('reseed → ACTIVE, slowest', `${slowestReseed.toFixed(0)} ms`, {
        text: '≤ 1 s',
        met: slowestReseed <= 1000,
        timed: true,
      }),
      row(
        `expires_in 0 for ${STORM_WINDOW_MS / 1000} s: rotations (spacing ${STORM_SPACING_MS} ms)`,
        `${storm.rotations}, closest ${storm.closestGapMs ?? '–'} ms; enrol meanwhile: ${storm.enrol}`,
        {
          text: `≤ ${STORM_WINDOW_MS / STORM_SPACING_MS + 1}, enrol ACTIVE`,
          met: storm.rotations <= STORM_WINDOW_MS / STORM_SPACING_MS + 1 && storm.enrol === 'ACTIVE',
        },
      ),
      row('look-alikes that left the company ACTIVE', `${stayed.length} of 4: ${stayed.join('; ')}`, {
        text: '4 of 4',
        met: stayed.length === 4,
      }),
    ],
    figures: { cases, storm, stayed, afterProxy, callsDuringPenalty, userRefusal, staleEnrol },
  };
}
