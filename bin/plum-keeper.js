#!/usr/bin/env node
// Runs the compiled CLI when `npm run build` has made one (production), else the TypeScript source through tsx
// (a checkout with development dependencies).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  require('../src/cli/main.ts');
}
