import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MARK, awkwardString, jsonish, refreshOutcome } from '../../chaos/lib/arbitraries';
import { ConfigError, loadConfig } from '../../src/config';
import { MAX_EPOCH_MS, plumTokensSchema, reseedInputSchema, workflowInputSchema } from '../../src/contract';
import { classifyErrorReply } from '../../src/plum/error-body';
import { PlumError } from '../../src/plum/errors';
import { tokenGrantBody } from '../../src/plum/token-set';
import { afterRefresh } from '../../src/workflows/transitions';
import { companyStateSchema, initialState } from '../../src/workflows/state';

/** Deterministic: the same cases every run, so a failure here is reproducible; `npm run chaos` will run more. */
const RUNS = { seed: 20261122, numRuns: 300 };

describe('fuzzed inputs at the pure entry points (a deterministic subset of R5)', () => {
  it('configuration: any environment loads or fails with ConfigError, never echoing a secret', () => {
    const names = [
      'PLUM_LEAD_FRACTION',
      'PLUM_MIN_LEAD_MS',
      'PLUM_HTTP_TIMEOUT_MS',
      'PLUM_BASE_URL',
      'TEMPORAL_ADDRESS',
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), awkwardString), fc.boolean(), (env, withSecrets) => {
        const full: Record<string, string> = { ...env };
        if (withSecrets) {
          full.PLUM_CLIENT_SECRET = `${MARK}-secret`;
          full.PLUM_CODEC_KEYS = `k1:${MARK}!`; // key material; ids are names, not secrets
          full.PLUM_TOKEN_KEYS = `k:${MARK}`;
        }
        try {
          loadConfig(full);
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          assert.ok(!error.message.includes(MARK), error.message);
        }
      }),
      RUNS,
    );
  });

  it('error replies: any status, headers and body classify into a PlumError that never quotes the body', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 599 }),
        fc.oneof(
          jsonish.map((value) => JSON.stringify({ value, note: MARK })),
          fc.string().map((s) => `${MARK}${s}`),
        ),
        fc.option(awkwardString, { nil: undefined }),
        (status, body, retryAfter) => {
          const headers = new Headers(
            retryAfter === undefined
              ? {}
              : { 'retry-after': retryAfter.replace(/[^\x20-\x7e]/g, '') /* header values are bytes */ },
          );
          const error = classifyErrorReply('refresh', status, headers, body, Date.now());
          assert.ok(error instanceof PlumError);
          assert.ok(!error.message.includes(MARK), error.message);
          if ('retryAfterMs' in error) assert.ok(error.retryAfterMs >= 0 && error.retryAfterMs <= 24 * 3600_000);
        },
      ),
      RUNS,
    );
  });

  it('200 bodies and workflow inputs: parsing never throws, and accepted expiries are bounded', () => {
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.anything()), (value) => {
        const grant = tokenGrantBody.safeParse(value);
        if (grant.success) assert.ok((grant.data.access_token_expiry ?? 0) <= MAX_EPOCH_MS);
        for (const schema of [plumTokensSchema, workflowInputSchema, reseedInputSchema, companyStateSchema]) {
          schema.safeParse(value);
          schema.safeParse({ companyId: 'acme', tokens: value, carried: value });
        }
      }),
      RUNS,
    );
  });

  it('the transitions: any sequence of refresh outcomes keeps a state the workflow would accept as carried', () => {
    fc.assert(
      fc.property(
        fc.array(refreshOutcome, { maxLength: 20 }),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2090, 0, 1) }),
        (outcomes, now) => {
          let state = initialState({ companyId: 'acme', tokens: { refresh_token: 'r' } }, now, () => 0.5);
          for (const next of outcomes) {
            state = afterRefresh(state, next, {
              now,
              random: () => 0.5,
              timing: { backoffInitialMs: 1000, backoffMaxMs: 600_000, noCredentialsRetryMs: 60_000 },
            });
            const checked = companyStateSchema.safeParse(state);
            assert.ok(checked.success, checked.success ? '' : JSON.stringify(checked.error.issues[0]));
          }
        },
      ),
      RUNS,
    );
  });
});
