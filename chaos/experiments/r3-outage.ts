// R3: Plum down for a whole lead window (5xx, calls that never reach it, connection resets, a proxy's HTML error
// page), strict rotation. The keeper must serve each token while it is valid, never declare NEEDS_REAUTH for an
// outage, and rotate on its next retry once Plum is back.
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import type { Fault } from '../../src/sandbox/faults';
import { TokenKeeperError } from '../../src/client';
import { companyIds, eventually, sleep, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import { CHAOS_HTTP_TIMEOUT_MS, CHAOS_SETTINGS } from '../lib/settings';
import type { ChaosSizes } from '../lib/sizes';

const LIFETIME_MS = 30_000;
const PROXY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
const OUTAGE: Fault[] = [
  { kind: 'serverError', status: 503 },
  { kind: 'unreachable', ms: CHAOS_HTTP_TIMEOUT_MS + 500 },
  { kind: 'resetBeforeCommit' },
  { kind: 'reply', status: 502, body: PROXY_PAGE, headers: { 'content-type': 'text/html' } },
  { kind: 'serverError', status: 500 },
];

export async function upstreamOutage(lab: ChaosLab, sizes: ChaosSizes): Promise<SectionResult> {
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: LIFETIME_MS });
  const worker = await lab.startWorker();
  const ids = companyIds('r3', sizes.companies);
  await lab.enrol(ids);
  const statuses = await Promise.all(ids.map((id) => statusOf(lab, id)));
  const dueAt = Math.min(...statuses.map((s) => s.nextRefreshAt ?? Date.now()));
  const expiresAt = Math.max(...statuses.map((s) => s.accessTokenExpiresAt ?? Date.now()));
  const generations = new Map(statuses.map((s) => [s.companyId, s.generation]));
  await sleep(Math.max(0, dueAt - Date.now() - 500));

  const callsBefore = lab.sandbox.callCount('refresh');
  for (let i = 0; i < 60; i++) for (const fault of OUTAGE) await lab.sandbox.injectFault('refresh', fault);
  const outageStart = Date.now();
  const outageEnd = expiresAt + 1000;
  let reads = 0;
  let refusedWhileValid = 0;
  let servedExpired = 0;
  let untyped = 0;
  const reauth = new Set<string>();
  /** The expiry of the token each company's keeper last handed out. */
  const lastServed = new Map<string, number>();
  while (Date.now() < outageEnd) {
    await Promise.all(
      ids.map(async (id) => {
        const newest = lab.sandbox.store.requireCompany(id).pairs.at(-1)!;
        // What a service sees: the client, its cache dropped so every read asks the workflow.
        lab.keeper.invalidate(id);
        const [served, status] = await Promise.all([
          lab.keeper.getAccessToken(id).then(
            (token) => ({ ...token, handedOverAt: Date.now() }),
            (error: unknown) => {
              if (!(error instanceof TokenKeeperError)) untyped += 1;
              return undefined;
            },
          ),
          statusOf(lab, id),
        ]);
        const answeredAt = Date.now();
        reads += 1;
        if (status.status === 'NEEDS_REAUTH') reauth.add(id);
        // Judged at the moment the client handed the token over, not after the status query beside it returned.
        if (served && served.expiresAt < served.handedOverAt) servedExpired += 1;
        if (served) lastServed.set(id, served.expiresAt);
        // Judged when the answer came back, with a 300 ms margin: on a loaded machine a read can take longer than
        // the margin, and a token that expired while the read was on its way is rightly refused. A refusal counts
        // only while the keeper's own last token was valid too: when Plum comes back just as that token expires, the
        // newest pair exists upstream a moment before its reply is saved, and refusing then is right.
        const heldValid = (lastServed.get(id) ?? Infinity) > answeredAt + 300;
        if (served === undefined && newest.accessExpiresAt > answeredAt + 300 && heldValid) refusedWhileValid += 1;
      }),
    );
    await sleep(200);
  }
  const callsInOutage = lab.sandbox.callCount('refresh') - callsBefore;
  const backAt = Date.now();
  await lab.sandbox.clearFaults();
  const recoveryMs = await Promise.all(
    ids.map(async (id) => {
      const ok = await eventually(
        async () =>
          (await statusOf(lab, id)).generation > generations.get(id)! && (await statusOf(lab, id)).status === 'ACTIVE',
        30_000,
      );
      return ok ? Date.now() - backAt : Infinity;
    }),
  );
  const slowest = Math.max(...recoveryMs);
  const bound = (CHAOS_SETTINGS.backoffMaxMs ?? 0) + 1000;
  await lab.retire(ids);
  await worker.stop();
  return {
    id: 'R3',
    title: `R3 Plum down for a whole lead window (${((outageEnd - outageStart) / 1000).toFixed(0)} s: 5xx, unreachable, resets, proxy HTML)`,
    rows: [
      row('reads refused while the token was valid', `${refusedWhileValid} of ${reads} reads`, {
        text: '0',
        met: refusedWhileValid === 0,
      }),
      row('expired tokens served', String(servedExpired), { text: '0', met: servedExpired === 0 }),
      row('reads failing with an untyped error', String(untyped), { text: '0', met: untyped === 0 }),
      row('false NEEDS_REAUTH', String(reauth.size), { text: '0', met: reauth.size === 0 }),
      row('recovery once Plum is back, slowest company', Number.isFinite(slowest) ? `${slowest} ms` : 'never', {
        text: `≤ next backoff (≤ ${CHAOS_SETTINGS.backoffMaxMs} ms here) + 1 s`,
        met: slowest <= bound,
        timed: Number.isFinite(slowest),
      }),
      row('upstream attempts during the outage', `${callsInOutage} for ${ids.length} companies`),
    ],
    figures: {
      companies: ids.length,
      reads,
      refusedWhileValid,
      servedExpired,
      untyped,
      falseReauth: reauth.size,
      recoveryMs,
      callsInOutage,
    },
  };
}
