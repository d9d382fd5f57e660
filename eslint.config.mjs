import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The one-way flow of src/: each folder may import only the folders listed for it (and itself). The contract is at
 * the bottom; entry points (src/main) sit on top; nothing but the worker, by path, reaches the workflow code.
 */
export const LAYERS = {
  common: [],
  contract: [],
  logging: [],
  plum: ['contract'],
  sandbox: ['contract'],
  workflows: ['contract'],
  codec: ['contract'],
  'dev-server': ['contract'],
  activities: ['contract', 'plum'],
  client: ['contract', 'codec'],
  deployment: ['contract'],
  config: ['contract', 'codec', 'client', 'deployment'],
  connection: ['contract', 'codec', 'client', 'config'],
  'codec-server': ['contract', 'codec', 'config'],
  worker: ['contract', 'activities', 'plum', 'codec', 'logging', 'deployment', 'config', 'connection', 'monitoring'],
  cli: ['contract', 'codec', 'client', 'config', 'connection', 'plum', 'deployment'],
  monitoring: ['contract', 'deployment'],
};

const layerZones = Object.entries(LAYERS).map(([layer, allowed]) => ({
  target: `./src/${layer}`,
  from: './src',
  // src/common (pure helpers with no project imports) sits below every layer.
  except: [...new Set([`./${layer}`, './common', ...allowed.map((name) => `./${name}`)])],
  message: `src/${layer} may import only ${allowed.length > 0 ? allowed.map((n) => `src/${n}`).join(', ') : 'itself'} (see LAYERS in eslint.config.mjs).`,
}));

export default tseslint.config(
  // packages/client/examples is type-checked strictly (skipLibCheck off) in a scratch service by package-install.test.ts.
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', 'packages/*/dist/', 'packages/*/examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      // Shipped code installs with the production dependencies only; the test kit is a development dependency.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@temporalio/testing', message: 'A development dependency: tests only, never src/.' }] },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code must stay deterministic: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['@temporalio/*', '!@temporalio/workflow', '!@temporalio/common'],
              message: 'Workflow code may import only @temporalio/workflow and @temporalio/common.',
            },
          ],
        },
      ],
    },
  },
  {
    // Release 3 has no behaviour patches: runs are pinned to their build, so a release changes commands freely. The
    // release-line marker, asked in the first activation, is the one `patched` call of the workflow.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/release-line.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(patched|deprecatePatch)$/]',
          message: 'No patches: a release changes workflow code under a new pinned build (see CHANGELOG).',
        },
        {
          selector: 'ImportSpecifier[imported.name=/^(patched|deprecatePatch)$/]',
          message: 'No patches: a release changes workflow code under a new pinned build (see CHANGELOG).',
        },
      ],
    },
  },
  {
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
