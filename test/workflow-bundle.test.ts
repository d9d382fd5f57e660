import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleInChildProcess } from '../src/worker/workflow-bundle';
import { workflowBundle } from './helpers/keeper-env';

/** The body of the bundle's `preloadModules` function: what the SDK evaluates once per worker, before any workflow. */
function preloaded(code: string): string {
  const body = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1];
  assert.ok(body !== undefined, 'the bundle has no preloadModules function');
  return body;
}

describe('workflow bundle', () => {
  it('preloads zod through the module that builds a schema first, so workflows share one zod', async () => {
    const { code } = await workflowBundle();
    assert.match(preloaded(code), /src\/workflows\/zod-preload\.ts/);
    // The preload must reach the same zod files the workflow code imports (the ES module build), not a second copy.
    const zodModules = [...new Set(code.match(/"\.\/node_modules\/zod\/[^"]+"/g))];
    assert.ok(zodModules.length > 0, 'no zod module in the bundle');
    assert.deepEqual(
      zodModules.filter((id) => !id.endsWith('.js"')),
      [],
      'zod modules other than its ES build (a CommonJS copy would not be shared)',
    );
  });

  it('is built in a child process with the same preload', async () => {
    const { code } = await bundleInChildProcess();
    assert.match(preloaded(code), /src\/workflows\/zod-preload\.ts/);
    assert.match(code, /companyTokenWorkflow/);
  });
});
