#!/usr/bin/env node
// Runs the TypeScript source through tsx in a checkout with development dependencies, else the compiled CLI from
// `npm run build` (production installs, `npm ci --omit=dev`), so a stale dist/ never shadows the source.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
let tsx;
try {
  tsx = require.resolve('tsx/cjs');
} catch {
  tsx = undefined;
}
if (tsx && existsSync(source)) {
  require(tsx);
  require(source);
} else {
  require(join(__dirname, '..', 'dist', 'cli', 'main.js'));
}
