import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_PROMTOOL = 'promtool is missing: apt-get install prometheus (.ci/run installs it)';

interface Rule {
  alert: string;
  expr: string;
  annotations: { summary: string; runbook: string };
}
const rules = (parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: { rules: Rule[] }[] })
  .groups[0]!.rules;

describe('deploy/prometheus/alerts.yml', () => {
  it('covers NEEDS_REAUTH, EXPIRED, long DEGRADED, rising rejections and a worker not polling, each with a runbook', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    for (const [alert, metric] of [
      ['PlumCompanyNeedsReauth', 'plum_keeper_companies{status="NEEDS_REAUTH"}'],
      ['PlumCompanyTokenExpired', 'plum_keeper_companies{status="EXPIRED"}'],
      ['PlumCompanyDegraded', 'plum_keeper_companies{status="DEGRADED"}'],
      ['PlumUpstreamRejectionsRising', 'plum_keeper_upstream_calls_total{outcome="rejected"}'],
      ['PlumKeeperWorkerNotPolling', 'plum_keeper_worker_polling'],
    ] as const) {
      const rule = byName.get(alert);
      assert.ok(rule, `${alert} is missing`);
      assert.ok(rule.expr.includes(metric), `${alert} watches ${metric}`);
      assert.match(rule.annotations.runbook, /npx plum-keeper /, `${alert} says which command helps`);
    }
  });

  it('promtool check rules accepts the file', { skip: !promtool && NO_PROMTOOL }, () => {
    const run = spawnSync('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: each alert fires when it should and not before', { skip: !promtool && NO_PROMTOOL }, () => {
    const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], {
      cwd: 'deploy/prometheus',
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });
});
