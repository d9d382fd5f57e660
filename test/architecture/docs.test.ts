import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configTableMarkdown, variableDocs } from '../../src/config/variables';
import { tableRows } from '../../scripts/readme-table';

describe('the docs stay true', () => {
  it("README's configuration table is the one generated from the schema", () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.deepEqual(tableRows(readme), tableRows(configTableMarkdown()), 'run npm run config-table -- --write');
  });

  it('the table names every variable the schema reads', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const { name } of variableDocs()) assert.ok(readme.includes(`\`${name}\``), `${name} is missing`);
  });

  it('nothing links outside the repository, and docs/ has the design and the upstream API', () => {
    assert.ok(existsSync('docs/design.md') && existsSync('docs/plum-api.md'));
    for (const file of ['README.md', 'docs/design.md', 'docs/plum-api.md']) {
      assert.doesNotMatch(readFileSync(file, 'utf8'), /\.\.\/shared/, file);
    }
  });
});
