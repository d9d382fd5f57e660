// The rollout rule as a table: what a worker of build `me` does with the deployment's routing, and what decides
// "newer". Pure: no server, each row one situation a rollout meets.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codeDigest, defaultBuildId } from '../src/config/release';
import type { DeploymentView } from '../src/deployment/deployment-view';
import type { RolloutPolicy } from '../src/deployment/rollout-decision';
import { decideRollout, isNewer } from '../src/deployment/rollout-decision';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const AUTO: RolloutPolicy = {
  mode: 'auto',
  rampPercent: 10,
  rampMs: 30 * 60_000,
  handoverTimeoutMs: 60_000,
  pollStaleMs: 90_000,
};
const RAMP: RolloutPolicy = { ...AUTO, mode: 'ramp' };
const MANUAL: RolloutPolicy = { ...AUTO, mode: 'manual' };

function view(over: Partial<DeploymentView> = {}): DeploymentView {
  return {
    deploymentName: 'plum-token-keeper',
    current: '2.3.0+aaaa',
    currentChangedAt: NOW - 3600_000,
    lastModifier: 'plum-token-keeper rollout (build 2.3.0+aaaa: first deploy)',
    builds: [
      { buildId: '2.3.0+aaaa', createdAt: NOW - 7200_000, polled: true },
      { buildId: '2.4.0+bbbb', createdAt: NOW - 60_000, polled: true },
    ],
    ...over,
  };
}

describe('decideRollout', () => {
  const rows: [string, DeploymentView, string, RolloutPolicy, string, RegExp][] = [
    [
      'first versioned deploy',
      view({ current: undefined, currentChangedAt: undefined, lastModifier: undefined }),
      '2.3.0+aaaa',
      MANUAL,
      'promote',
      /first/,
    ],
    ['auto: a newer release takes over', view(), '2.4.0+bbbb', AUTO, 'promote', /newer than/],
    ['auto: the current build itself', view(), '2.3.0+aaaa', AUTO, 'leave', /is current/],
    ['auto: a stray older worker', view({ current: '2.4.0+bbbb' }), '2.3.0+aaaa', AUTO, 'leave', /is newer/],
    ['manual: a newer build waits for an operator', view(), '2.4.0+bbbb', MANUAL, 'leave', /manual/],
    [
      'an operator rolled back: a newer worker restarting leaves it',
      view({ lastModifier: 'temporal-cli:oncall@laptop' }),
      '2.4.0+bbbb',
      AUTO,
      'leave',
      /temporal-cli:oncall@laptop.*rollout resume/,
    ],
    [
      'an operator set --unversioned: it stays',
      view({ current: undefined, lastModifier: 'temporal-cli:oncall@laptop' }),
      '2.4.0+bbbb',
      AUTO,
      'leave',
      /operator/,
    ],
    ['ramp: a newer build starts ramping', view(), '2.4.0+bbbb', RAMP, 'ramp', /ramping beside/],
    [
      'ramp: still within the ramp time',
      view({ ramping: { buildId: '2.4.0+bbbb', percentage: 10, since: NOW - 60_000 } }),
      '2.4.0+bbbb',
      RAMP,
      'leave',
      /ramping at 10%/,
    ],
    [
      'ramp: the ramp time is over',
      view({ ramping: { buildId: '2.4.0+bbbb', percentage: 10, since: NOW - 31 * 60_000 } }),
      '2.4.0+bbbb',
      RAMP,
      'promote',
      /ramped for 31 min/,
    ],
    [
      'ramp: the current build lost its workers, the ramp cannot wait',
      view({
        builds: [
          { buildId: '2.3.0+aaaa', createdAt: NOW - 7200_000, polled: false },
          { buildId: '2.4.0+bbbb', createdAt: NOW - 60_000, polled: true },
        ],
      }),
      '2.4.0+bbbb',
      RAMP,
      'promote',
      /no live worker/,
    ],
    [
      'a newer build polls too: the middle one leaves it to that one',
      view({ builds: [...view().builds, { buildId: '2.5.0+cccc', createdAt: NOW - 1000, polled: true }] }),
      '2.4.0+bbbb',
      AUTO,
      'leave',
      /2.5.0\+cccc is polling/,
    ],
  ];
  for (const [name, deployment, me, policy, kind, why] of rows) {
    it(name, () => {
      const decision = decideRollout(deployment, me, policy, NOW);
      assert.equal(decision.kind, kind, decision.why);
      assert.match(decision.why, why);
    });
  }

  it('never promotes a build that is not newer than the current one, whatever the deployment', () => {
    const build = fc.record({
      release: fc.constantFrom('2.3.0', '2.4.0', '2.4.1', '3.0.0'),
      digest: fc.stringMatching(/^[0-9a-f]{4}$/),
      createdAt: fc.integer({ min: 0, max: 1000 }),
      polled: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(build, { minLength: 2, maxLength: 5 }),
        fc.constantFrom(AUTO, RAMP, MANUAL),
        (builds, policy) => {
          const ids = builds.map((b) => `${b.release}+${b.digest}`);
          if (new Set(ids).size !== ids.length) return;
          const deployment = view({
            current: ids[0],
            builds: builds.map((b, i) => ({ buildId: ids[i]!, createdAt: b.createdAt, polled: b.polled })),
          });
          for (const me of ids.slice(1)) {
            const decision = decideRollout(deployment, me, policy, NOW);
            if (decision.kind !== 'leave') assert.ok(isNewer(deployment, me, ids[0]!), `${me} over ${ids[0]}`);
          }
        },
      ),
    );
  });
});

describe('isNewer', () => {
  it('orders by release first, then by when the build first polled', () => {
    const deployment = view({
      builds: [
        { buildId: '2.4.0+old', createdAt: 1, polled: true },
        { buildId: '2.4.0+new', createdAt: 2, polled: true },
        { buildId: '2.3.9+late', createdAt: 3, polled: true },
      ],
    });
    assert.ok(isNewer(deployment, '2.4.0+new', '2.4.0+old'));
    assert.ok(isNewer(deployment, '2.4.0+old', '2.3.9+late'), 'a higher release wins over a later start');
    assert.ok(!isNewer(deployment, '2.3.9+late', '2.4.0+old'));
  });
});

describe('build ids from the code', () => {
  it('the same code gives the same id in another folder; a change to workflow code gives another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'build-id-'));
    cpSync(join(__dirname, '..', 'src'), join(dir, 'src'), { recursive: true });
    assert.equal(codeDigest(join(dir, 'src')), codeDigest(join(__dirname, '..', 'src')));
    const file = join(dir, 'src', 'workflows', 'schedule.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// a change\n`);
    assert.notEqual(codeDigest(join(dir, 'src')), codeDigest(join(__dirname, '..', 'src')));
  });

  it('a change outside the workflow and activity code keeps the id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'build-id-'));
    cpSync(join(__dirname, '..', 'src'), join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), '// the CLI changed\n');
    assert.equal(codeDigest(join(dir, 'src')), codeDigest(join(__dirname, '..', 'src')));
  });

  it('is the release and the digest, as semver build metadata', () => {
    assert.match(defaultBuildId(), /^\d+\.\d+\.\d+(-[\w.]+)?\+[0-9a-f]{12}$/);
  });
});
