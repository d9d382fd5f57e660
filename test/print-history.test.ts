// `npm run history -- <name>` prints a recorded history decoded: what a reviewer reads instead of the encrypted JSON.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const print = (name: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/print-history.ts', name], { encoding: 'utf8' });

describe('npm run history', () => {
  it('prints every event of a recorded history on one line, payloads decoded, tokens by length only', () => {
    const name = 'enrol-update-with-start';
    const recorded = JSON.parse(readFileSync(join(__dirname, 'histories', `${name}.json`), 'utf8')) as {
      events: unknown[];
    };
    const lines = print(name).trimEnd().split('\n');
    assert.equal(lines.length, recorded.events.length);
    const accepted = lines.find((line) => line.includes('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
    assert.match(accepted ?? '', /"name":"reseed"/);
    assert.match(accepted ?? '', /"refresh_token":"<\d+ chars>"/);
    assert.ok(!lines.some((line) => line.includes('<undecodable')), 'every payload decodes with the test rings');
    assert.ok(!/"(access_token|refresh_token|accessToken|refreshToken)":"(?!<\d+ chars>)/.test(lines.join('\n')));
  });

  it('names the recorded histories when asked for one that is not there', () => {
    assert.throws(
      () => execFileSync(process.execPath, ['--import', 'tsx', 'scripts/print-history.ts', 'nope'], { stdio: 'pipe' }),
      (error: { stderr: Buffer }) => /no recorded history nope; known: .*rotation-cycles/.test(error.stderr.toString()),
    );
  });
});
