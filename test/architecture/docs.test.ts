import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { configTableMarkdown, variableDocs } from '../../src/config/variables';
import { tableRows } from '../../scripts/readme-table';
import { NeedsReauthError } from '../../src/client/errors';
import { STATUS_REASONS, nextStepFor } from '../../src/contract';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The project's Markdown a user reads. */
const MARKDOWN = [
  'README.md',
  'docs/design.md',
  'docs/plum-api.md',
  'docs/wire-protocol.md',
  'clients/python/README.md',
  'clients/go/README.md',
];

describe('the docs stay true', () => {
  it("README's configuration table is the one generated from the schema", () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.deepEqual(tableRows(readme), tableRows(configTableMarkdown()), 'run npm run config-table -- --write');
  });

  it('the table names every variable the schema reads', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const { name } of variableDocs()) assert.ok(readme.includes(`\`${name}\``), `${name} is missing`);
  });

  it('the README gives a cure for every reason a company can be in, as nextStepFor does', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('#### Reasons and cures'), readme.indexOf('### Watching it'));
    // USER_NOT_FOUND refuses one user-token exchange; it is never a company's state.
    for (const reason of STATUS_REASONS.filter((r) => r !== 'USER_NOT_FOUND')) {
      assert.ok(section.includes(`\`${reason}\``), `${reason} has no row in README's Reasons and cures`);
      const advice = nextStepFor({ companyId: 'acme', status: 'NEEDS_REAUTH', reason });
      assert.match(advice, /plum-keeper (reseed|retire) acme|PLUM_CREDENTIALS_FILE/, `${reason}: ${advice}`);
      assert.equal(new NeedsReauthError('acme', reason).hint, advice, 'the client error gives the same cure');
    }
  });

  it('nothing links outside the repository, and docs/ has the design and the upstream API', () => {
    assert.ok(existsSync('docs/design.md') && existsSync('docs/plum-api.md'));
    const files = ['README.md', ...MARKDOWN.slice(1), ...sourceFiles('src')];
    for (const file of files) assert.doesNotMatch(readFileSync(file, 'utf8'), /\.\.\/shared/, file);
  });

  it('the README shows the Python and Go programs exactly as their files (which npm test runs against a keeper)', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const file of [
      'clients/python/examples/read_token.py',
      'clients/go/examples/readtoken/main.go',
      'packages/client/examples/read-token.ts',
    ]) {
      assert.ok(readme.includes(readFileSync(file, 'utf8')), `README.md shows ${file} as it is`);
    }
  });

  it('every relative link in the README, docs/ and the clients’ READMEs names a file that exists', () => {
    for (const file of MARKDOWN) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        assert.ok(existsSync(join(dirname(file), target!)), `${file} links ${target}, which does not exist`);
      }
    }
  });

  it('the conformance table of docs/wire-protocol.md has no empty cell, and every test it names exists', () => {
    const doc = readFileSync('docs/wire-protocol.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Conformance'), doc.indexOf('## Versions'));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| rule') && !line.startsWith('| ---'));
    assert.ok(rows.length >= 12, `${rows.length} rows`);
    const goTests = readdirSync('clients/go')
      .filter((f) => f.endsWith('_test.go'))
      .map((f) => readFileSync(join('clients/go', f), 'utf8'))
      .join('\n');
    const pyTests = readdirSync('clients/python/tests')
      .filter((f) => f.endsWith('.py'))
      .map((f) => readFileSync(join('clients/python/tests', f), 'utf8'))
      .join('\n');
    for (const row of rows) {
      const cells = row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      assert.equal(cells.length, 5, row);
      for (const cell of cells) assert.ok(cell.length > 0, `an empty cell in: ${row}`);
      const [, vector, ts, py, go] = cells as [string, string, string, string, string];
      for (const [, file] of vector.matchAll(/`([\w-]+\.json)`/g))
        assert.ok(existsSync(join('docs/vectors', file!)), file);
      for (const [, file] of ts.matchAll(/`(test\/[\w/.-]+\.ts)`/g)) assert.ok(existsSync(file!), file);
      for (const [, name] of py.matchAll(/`(test_\w+)…?`/g)) assert.ok(pyTests.includes(`def ${name}`), name);
      for (const [, name] of go.matchAll(/`(Test\w+)`/g)) assert.ok(goTests.includes(`func ${name}(`), name);
    }
  });
});
