// Keeps the bench from rotting: its small mode runs every section on real servers and writes every figure.
// Nothing here holds a timing to a goal; figures only have to exist and the exactly-one count must hold.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('npm run bench -- --small', () => {
  it('prints every section and writes the same figures as JSON', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-test-')), 'figures.json');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--small', '--out', out], {
      timeout: 10 * 60_000,
      maxBuffer: 10 * 2 ** 20,
    });
    const document = JSON.parse(readFileSync(out, 'utf8')) as {
      machine: { cores: number; temporalCli: string };
      sections: Record<
        string,
        { title: string; rows: { figure: string; value: string }[]; notes: string[]; figures: Record<string, unknown> }
      >;
    };
    assert.deepEqual(Object.keys(document.sections).sort(), [
      'coldQuery',
      'cost',
      'exactlyOne',
      'readPath',
      'scale',
      'userTokens',
    ]);
    assert.ok(document.machine.cores > 0);
    for (const section of Object.values(document.sections)) {
      assert.match(stdout, new RegExp(section.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      for (const row of section.rows) assert.ok(stdout.includes(row.figure), `printed: ${row.figure}`);
    }
    const { keeper, naive } = document.sections.exactlyOne!.figures as {
      keeper: { perWave: number[]; rejected: number };
      naive: { callsPerWave: number } | null;
    };
    assert.deepEqual(keeper.perWave, [1, 1], 'one upstream refresh per company per wave');
    assert.equal(keeper.rejected, 0);
    const redisMissing = document.sections.readPath!.notes.some((note) =>
      note.includes('apt-get install redis-server'),
    );
    if (!redisMissing) {
      assert.ok((document.sections.readPath!.figures.redisGetMs as { n: number }).n > 0);
      assert.ok(naive && naive.callsPerWave >= 1, 'the naive baseline ran');
    }
    const reads = document.sections.readPath!.figures as Record<
      string,
      { n?: number; cached?: { n: number }; cold?: { n: number } }
    >;
    assert.ok(reads.queryFloorMs!.n! > 0, 'the floor was measured');
    for (const language of ['pythonClientMs', 'goClientMs']) {
      assert.ok(reads[language]!.cached!.n > 0 && reads[language]!.cold!.n > 0, `${language}: cached and cold reads`);
    }
    assert.ok((document.sections.cost!.figures.eventsPerRotation as number) > 0);
    assert.equal(document.sections.scale!.figures.companies, 40);
  });
});

describe('npm run bench:handover (small)', () => {
  it('hands every keeper of the old build over once the new build is current, and prints the figures', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/handover.ts', '--companies', '12'], {
      timeout: 8 * 60_000,
      maxBuffer: 10 * 2 ** 20,
    });
    const figures = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      companies: number;
      handoverSeconds: number;
      left: number;
      historyEventsOfOneKeeperBothRuns: number;
    };
    assert.equal(figures.companies, 12);
    assert.equal(figures.left, 0, 'no keeper left on the old build');
    assert.ok(figures.handoverSeconds > 0);
    assert.ok(figures.historyEventsOfOneKeeperBothRuns > 0);
  });
});
