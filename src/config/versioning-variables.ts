import { z } from 'zod';
import { DEFAULT_DEPLOYMENT_NAME } from '../contract';
import { doc } from './variable-kinds';

/** How workers join a Worker Deployment and how a new build takes over (README: Deploying a new build). */
export const workerVersioningVariables = {
  PLUM_WORKER_VERSIONING: z
    .enum(['on', 'off'], { error: 'must be on or off' })
    .optional()
    .meta(
      doc({
        description:
          'Worker Versioning: workers join the Worker Deployment `PLUM_DEPLOYMENT_NAME` as build `PLUM_BUILD_ID`, each keeper run stays on the build that started it and moves to a new current build by itself (README: Deploying a new build). `off`: unversioned workers (stop every old worker before starting new ones)',
        defaultText: '`on` with `TEMPORAL_ADDRESS`, else `off`',
      }),
    ),
  PLUM_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be 1–200 letters, digits, "_" or "-" (no "." or "/")')
    .default(DEFAULT_DEPLOYMENT_NAME)
    .meta(doc({ description: 'Worker Deployment the workers join (with `PLUM_WORKER_VERSIONING=on`)' })),
  PLUM_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.+-]{0,200}$/, 'must be up to 200 letters, digits, "_", ".", "+" or "-"')
    .optional()
    .meta(
      doc({
        description:
          'build id of this worker’s Worker Deployment Version; set it only to name builds yourself (empty means the default). Two different codes must never share one',
        defaultText: 'package version + digest of the workflow and activity code, e.g. `3.0.0+4f1c0d9a7b2e`',
      }),
    ),
  PLUM_ROLLOUT: z
    .enum(['auto', 'ramp', 'manual'], { error: 'must be auto, ramp or manual' })
    .default('auto')
    .meta(
      doc({
        description:
          'how a new build takes over (README: Deploying a new build). `auto`: the newest build becomes current once its workers poll; `ramp`: it ramps at `PLUM_ROLLOUT_RAMP_PERCENT` for `PLUM_ROLLOUT_RAMP_MINUTES`, then becomes current; `manual`: only an operator changes the current build. An operator’s own routing change always stays until `plum-keeper rollout resume`',
      }),
    ),
  PLUM_ROLLOUT_RAMP_PERCENT: z.coerce
    .number({ error: 'must be a number' })
    .min(1, 'must be 1–99')
    .max(99, 'must be 1–99')
    .default(10)
    .meta(doc({ description: 'share of keepers (by company id) a ramping build runs, with `PLUM_ROLLOUT=ramp`' })),
  PLUM_ROLLOUT_RAMP_MINUTES: z.coerce
    .number({ error: 'must be a number' })
    .min(0, 'must be 0 or more')
    .max(10_080, 'must be at most 10080 (a week)')
    .default(30)
    .meta(doc({ description: 'how long a build ramps before it becomes current, with `PLUM_ROLLOUT=ramp`' })),
  PLUM_HANDOVER_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 or more')
    .max(3_600_000, 'must be at most 3600000 (an hour)')
    .default(900_000)
    .meta(
      doc({
        description:
          'on SIGTERM, how long a worker of a build that is no longer current hands its keepers over to the current build before it drains; compose’s `stop_grace_period` and Kubernetes’ `terminationGracePeriodSeconds` must exceed it plus the drain. Measured: 10,000 keepers in 692 s on 2 cores shared with the server (README: Deploying a new build); a worker with none to hand over drains at once',
      }),
    ),
  PLUM_POLL_STALE_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number of milliseconds')
    .min(5000, 'must be at least 5000')
    .max(3_600_000, 'must be at most 3600000 (an hour)')
    .default(90_000)
    .meta(
      doc({
        description:
          'a build whose workers have not polled for this long counts as gone: its keepers are stranded (adopted, alerted, named by `doctor`). An idle poll is answered after the server’s `matching.longPollExpirationInterval` (1 minute): keep this above it',
      }),
    ),
};
