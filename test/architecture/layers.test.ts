import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint();

/** Lints `text` as if it were the file at `filePath`, returning the ids of the rules it broke. */
async function brokenRules(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const lineCount = (file: string) => readFileSync(file, 'utf8').replace(/\n$/, '').split('\n').length;

describe('the layers of src/', () => {
  it('ESLint refuses an import from a higher layer (contract → workflows)', async () => {
    const rules = await brokenRules(
      'src/contract/index.ts',
      "export { companyTokenWorkflow } from '../workflows/company-token-workflow';\n",
    );
    assert.ok(rules.includes('import-x/no-restricted-paths'), rules.join(', '));
  });

  it('ESLint refuses the client reaching for the workflow implementation', async () => {
    const rules = await brokenRules(
      'src/client/index.ts',
      "export { companyTokenWorkflow } from '../workflows/company-token-workflow';\n",
    );
    assert.ok(rules.includes('import-x/no-restricted-paths'), rules.join(', '));
  });

  it('ESLint refuses a codec module that reads the configuration (an arrow running back up)', async () => {
    const rules = await brokenRules('src/codec/local-key.ts', "export { loadConfig } from '../config';\n");
    assert.ok(rules.includes('import-x/no-restricted-paths'), rules.join(', '));
  });

  it('ESLint accepts an import that follows the flow (client → contract)', async () => {
    const rules = await brokenRules('src/client/index.ts', "export { TASK_QUEUE } from '../contract';\n");
    assert.deepEqual(rules, []);
  });

  it('ESLint refuses a patch anywhere in the workflow but the release-line marker', async () => {
    const text = "import * as wf from '@temporalio/workflow';\nexport const late = () => wf.patched('x');\n";
    const rules = await brokenRules('src/workflows/reseed.ts', text);
    assert.ok(rules.includes('no-restricted-syntax'), rules.join(', '));
    assert.deepEqual(await brokenRules('src/workflows/release-line.ts', text), []);
  });

  it('ESLint refuses the test kit (@temporalio/testing) in shipped source, in the workflow too', async () => {
    const text =
      "import { TestWorkflowEnvironment } from '@temporalio/testing';\nexport const kit = TestWorkflowEnvironment;\n";
    assert.ok((await brokenRules('src/main/embedded-demo.ts', text)).includes('no-restricted-imports'));
    assert.ok((await brokenRules('src/workflows/reseed.ts', text)).includes('no-restricted-imports'));
  });

  it("lets only the keeper cell assign the keeper's state: every other workflow file changes it through the cell", () => {
    const assigning = sourceFiles('src/workflows').filter(
      (file) =>
        !file.endsWith('keeper-cell.ts') &&
        /\b(this\.current|keeper\.state|cell\.state)(\.\w+)*\s*=[^=]/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(assigning, []);
  });

  it('keeps every source file under 300 lines and the workflow main loop under 200', () => {
    const sizes = sourceFiles('src').map((file) => ({ file, lines: lineCount(file) }));
    const largest = sizes.reduce((a, b) => (b.lines > a.lines ? b : a));
    assert.ok(largest.lines < 300, `${largest.file} has ${largest.lines} lines`);
    assert.ok(lineCount('src/workflows/company-token-workflow.ts') < 200);
  });
});
