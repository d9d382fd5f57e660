import type { BundleOptions } from '@temporalio/worker';

/**
 * How the keeper's workflow code is bundled, wherever it is bundled (worker start, tests, replay). zod is evaluated
 * once per worker and shared by every cached workflow, instead of once per workflow: it held most of a cached
 * workflow's memory and most of the CPU of creating one. zod keeps no per-workflow state (no clock, no randomness;
 * its caches are keyed by schema), so sharing it cannot carry one workflow into another.
 *
 * The preload is a module of ours rather than `'zod'` itself: webpack drops a preload of a package that declares
 * itself free of side effects, and a bare `'zod'` would resolve to its CommonJS copy, which the workflow code does
 * not use.
 */
export const KEEPER_BUNDLER_OPTIONS = {
  preloadModules: [require.resolve('../workflows/zod-preload')],
} satisfies Pick<BundleOptions, 'preloadModules'>;
