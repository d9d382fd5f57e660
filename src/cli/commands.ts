import { createInterface } from 'node:readline/promises';
import type { ConnectionOptions } from '@temporalio/client';
import type { Command } from 'commander';
import { NeedsReauthError } from '../client/errors';
import { connectTemporal } from '../client/temporal-client';
import type { TokenKeeperClient } from '../client/token-keeper-client';
import { loadConfigOrExit } from '../config';
import { connectionOptionsFor } from '../connection/client-from-config';
import type { TokenStatus } from '../contract';
import { ALERT_STATES, companyIdSchema, nextStepFor, userTokenRequestSchema } from '../contract';
import { parse } from '../client/parse-input';
import type { ConnectedKeeper, TokenUse } from './connect';
import { CliSetupError, connectKeeper } from './connect';
import { runDoctor } from './doctor';
import { setupNamespace } from './setup-namespace';
import { upgradeFleet } from './upgrade';
import { iso, printable, withIsoTimes } from './output';
import { readTokens } from './read-tokens';
import { rolloutCommand } from './rollout-command';
import { withReasons } from './list-reasons';
import { sayWhyRotationWaits } from './rotation-wait';

interface GlobalOptions {
  json?: boolean;
}

/** The CLI's commands; each checks its arguments before it connects, so bad input changes nothing. */
export class Cli {
  private connected: ConnectedKeeper | undefined;

  constructor(private readonly program: Command) {}

  private get json(): boolean {
    return (this.program.opts() as GlobalOptions).json === true;
  }

  /** Checks arguments before anything connects, so bad input changes nothing. */
  private check(companyId: string, email?: string): void {
    parse(companyIdSchema, companyId, 'companyId');
    if (email !== undefined) parse(userTokenRequestSchema, { email }, '');
  }

  /** Connects once; `tokens` says whether this command prints a token (then it needs the token ring). */
  private async connect(command: string, tokens: TokenUse = 'none'): Promise<TokenKeeperClient> {
    this.connected ??= await connectKeeper(loadConfigOrExit(), command, tokens);
    return this.connected.keeper;
  }

  /** What enrol and reseed say when the set they sent reached history without the token ring's seal. */
  private sentUnsealed(): string[] {
    if (this.connected?.sealsSentSets !== false) return [];
    return [
      'Neither PLUM_ENROLMENT_PUBLIC_KEY nor PLUM_TOKEN_KEYS is set here, so this set reached the keeper sealed only by',
      'the payload ring: the keeper rotates it once now, and the set in your file is spent (plum-keeper status shows',
      'the rotation). Give this shell PLUM_ENROLMENT_PUBLIC_KEY (it opens nothing) to avoid that.',
    ];
  }

  async close(): Promise<void> {
    await this.connected?.keeper.close();
  }

  /** Prints `value` as JSON with --json, else the human lines. */
  print(value: unknown, human: string[]): void {
    // JSON escapes control characters itself; human lines are escaped one by one, so a line stays a line.
    const text = this.json
      ? `${JSON.stringify(withIsoTimes(value), null, 2)}\n`
      : `${human.map((line) => printable(line)).join('\n')}\n`;
    process.stdout.write(text);
  }

  async enrol(companyId: string, options: { tokensFile: string }): Promise<void> {
    this.check(companyId);
    const tokens = readTokens(options.tokensFile);
    const status = await (await this.connect('enrol', 'send')).enrol(companyId, tokens);
    this.print(status, [
      `Enrolled ${companyId}: ${status.status}, next refresh ${iso(status.nextRefreshAt)}.`,
      ...this.sentUnsealed(),
    ]);
  }

  async reseed(companyId: string, options: { tokensFile: string }): Promise<void> {
    this.check(companyId);
    const tokens = readTokens(options.tokensFile);
    const status = await (await this.connect('reseed', 'send')).reseed(companyId, tokens);
    this.print(status, [
      `Reseeded ${companyId}: ${status.status}, next refresh ${iso(status.nextRefreshAt)}.`,
      ...this.sentUnsealed(),
    ]);
  }

  async status(companyId: string): Promise<void> {
    this.check(companyId);
    const s = await (await this.connect('status')).status(companyId);
    this.print(s, [
      `${s.companyId}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`,
      `  access token expires  ${iso(s.accessTokenExpiresAt)}`,
      `  refresh token expires ${iso(s.refreshTokenExpiresAt)}`,
      `  next refresh          ${iso(s.nextRefreshAt)}`,
      `  last refresh          ${iso(s.lastRefreshAt)} (generation ${s.generation}, ${s.consecutiveFailures} failures in a row)`,
      `  build                 ${s.build ?? 'unversioned'}`,
      ...(s.lastError ? [`  last error            ${s.lastError}`] : []),
      ...(s.rotationHeld ? [`  rotation held         ${s.rotationHeld}`] : []),
      ...(s.reseedUnproven
        ? ['  reseed unproven       the previous set is kept until a refresh proves the new one']
        : []),
      ...(s.tokensArrivedUnsealedAt
        ? [`  tokens leaked         reached history unsealed at ${iso(s.tokensArrivedUnsealedAt)}; rotated at once`]
        : []),
      ...(s.tokensArrivedUnencryptedAt
        ? [
            `  tokens leaked         reached history unencrypted at ${iso(s.tokensArrivedUnencryptedAt)}; rotated at once`,
          ]
        : []),
      ...(s.lastRotationRequest
        ? [`  last rotation asked   ${iso(s.lastRotationRequest.at)} (${s.lastRotationRequest.reason})`]
        : []),
      ...((ALERT_STATES as readonly string[]).includes(s.status) ? [`  next: ${nextStepFor(s)}`] : []),
    ]);
  }

  async list(options: { status?: string }): Promise<void> {
    const keeper = await this.connect('list');
    const rows = await withReasons(
      keeper,
      await keeper.list(options.status ? { status: options.status as TokenStatus } : {}),
    );
    this.print(
      rows,
      rows.length === 0
        ? ['No companies match.']
        : [
            ...rows.map(
              (r) =>
                `${r.companyId.padEnd(32)} ${(r.status ?? '?').padEnd(13)} next refresh ${r.nextRefreshAt?.toISOString() ?? '—'}` +
                (r.reason ? `  reason ${r.reason}` : ''),
            ),
            ...(rows.some((r) => r.reason) ? ['npx plum-keeper status <companyId> says what fixes each reason.'] : []),
          ],
    );
  }

  async token(companyId: string, options: { reveal?: boolean }): Promise<void> {
    this.check(companyId);
    const token = await (await this.connect('token', 'print')).getAccessToken(companyId);
    const shown = options.reveal ? token.accessToken : null;
    this.print(
      {
        companyId,
        accessToken: shown,
        revealed: options.reveal === true,
        expiresAt: token.expiresAt,
        status: token.status,
      },
      [
        options.reveal
          ? token.accessToken
          : `<hidden: ${token.accessToken.length} characters; add --reveal to print it>`,
        `expires ${iso(token.expiresAt)} (${token.status})`,
      ],
    );
  }

  async userToken(companyId: string, email: string, options: { scope?: string; reveal?: boolean }): Promise<void> {
    this.check(companyId, email);
    const token = await (await this.connect('user-token', 'print')).getUserToken(companyId, email, options.scope);
    this.print(
      {
        companyId,
        email: token.email,
        scope: token.scope,
        accessToken: options.reveal ? token.accessToken : null,
        revealed: options.reveal === true,
        expiresAt: token.expiresAt,
      },
      [
        options.reveal
          ? token.accessToken
          : `<hidden: ${token.accessToken.length} characters; add --reveal to print it>`,
        `${token.email} (${token.scope}), expires ${iso(token.expiresAt)}`,
      ],
    );
  }

  async rotate(companyId: string, options: { wait?: boolean; reason?: string }): Promise<void> {
    this.check(companyId);
    const keeper = await this.connect('rotate');
    if (options.wait) {
      const rotation = keeper.rotate(companyId, options.reason ?? 'plum-keeper rotate --wait');
      const told = sayWhyRotationWaits(keeper, companyId, rotation, (line) =>
        process.stderr.write(`plum-keeper: ${printable(line)}\n`),
      );
      const [result] = await Promise.all([rotation, told]);
      this.print({ companyId, rotated: true, expiresAt: result.expiresAt }, [
        `Rotated ${companyId}; the new token expires ${iso(result.expiresAt)}.`,
      ]);
      return;
    }
    try {
      await keeper.forceRefresh(companyId, options.reason ?? 'plum-keeper rotate');
    } catch (error) {
      if (error instanceof NeedsReauthError)
        error.message = `rotation not requested, the keeper would ignore it: ${error.message}`;
      throw error;
    }
    this.print({ companyId, requested: true }, [
      `Rotation requested for ${companyId}; npx plum-keeper status ${companyId} shows the result.`,
    ]);
  }

  async upgrade(options: { buildId?: string; timeout: number }): Promise<void> {
    const keeper = await this.connect('upgrade');
    const companies = (await keeper.list()).filter((c) => c.status !== 'RETIRED').map((c) => c.companyId);
    const result = await upgradeFleet(keeper, companies, {
      ...(options.buildId !== undefined && { buildId: options.buildId }),
      timeoutMs: options.timeout * 1000,
    });
    const builds = Object.entries(result.builds).map(([build, n]) => `${build}: ${n}`);
    this.print(result, [
      `Woke ${result.woken} keeper(s); builds now: ${builds.join(', ') || 'none'}.`,
      ...(result.notMoved.length
        ? [
            `Not on ${options.buildId} after ${options.timeout} s:`,
            ...result.notMoved.slice(0, 20).map((n) => `  ${n.companyId}: ${n.why}`),
            ...(result.notMoved.length > 20 ? [`  … and ${result.notMoved.length - 20} more`] : []),
            'Keep the old build’s workers running until these move (npx plum-keeper upgrade again, or their next refresh).',
          ]
        : []),
    ]);
    if (result.notMoved.length > 0) process.exitCode = 1;
  }

  async setupNamespace(options: { retention: number }): Promise<void> {
    const config = loadConfigOrExit();
    const connection = await connectTemporal(connectionOptionsFor(config) as ConnectionOptions);
    try {
      const setup = await setupNamespace(connection, config.temporal.namespace, options.retention);
      this.print(setup, [
        `Namespace ${setup.namespace}: ${setup.namespaceCreated ? 'registered' : 'already registered'}.`,
        `Search attributes: ${setup.created.length ? `added ${setup.created.join(', ')}` : 'none missing'}${
          setup.kept.length ? `; already there: ${setup.kept.join(', ')}` : ''
        }.`,
      ]);
    } finally {
      await connection.close();
    }
  }

  async rollout(action: string | undefined, options: { buildId?: string }): Promise<void> {
    await this.connect('rollout');
    const { report, lines } = await rolloutCommand(this.connected!.client, loadConfigOrExit(), action, options.buildId);
    this.print(report, lines);
  }

  async doctor(): Promise<void> {
    const checks = await runDoctor();
    const mark = { ok: '✓', problem: '✗', skipped: '–' } as const;
    this.print(
      checks,
      checks.flatMap((c) => [
        `${mark[c.outcome]} ${c.name}: ${c.detail}`,
        ...(c.fix ? c.fix.split('\n').map((line) => `    fix: ${line}`) : []),
      ]),
    );
    if (checks.some((c) => c.outcome === 'problem')) process.exitCode = 1;
  }

  async retire(companyId: string, options: { reason?: string; yes?: boolean }): Promise<void> {
    this.check(companyId);
    if (!options.yes && !(await confirm(`Retire ${companyId}? Its keeper stops and its tokens are no longer kept.`))) {
      throw new CliSetupError(
        `retire ${companyId} was not confirmed`,
        `answer y at the prompt, or pass --yes (needed without a terminal): npx plum-keeper retire ${companyId} --yes`,
      );
    }
    await (await this.connect('retire')).retire(companyId, options.reason ?? 'plum-keeper retire');
    this.print({ companyId, retired: true }, [`Retired ${companyId}; its keeper workflow completes.`]);
  }
}

/** Asks a yes/no question on the terminal; false without one (scripts must pass `--yes`). */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}
