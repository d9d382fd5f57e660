import { Command, CommanderError, Option } from 'commander';
import type { TokenKeeperClient } from '../client/token-keeper-client';
import { InvalidInputError, NotEnrolledError, StaleTokensError, TokenKeeperError } from '../client/errors';
import { loadConfigOrExit } from '../config';
import { TOKEN_STATUSES, companyIdSchema, userTokenRequestSchema } from '../contract';
import { parse } from '../client/parse-input';
import { CliSetupError, connectKeeper } from './connect';
import { readTokens } from './read-tokens';

const SECRETS_HELP = `
Secrets (token sets) are read from a file or standard input (--tokens-file FILE, or --tokens-file - to read stdin),
never from the command line, where other users of this machine could read them. Tokens are printed only with
--reveal.

Connection: TEMPORAL_ADDRESS (else the embedded server of npm start on 127.0.0.1:7233), TEMPORAL_NAMESPACE,
PLUM_CODEC_KEYS (else the embedded key in .data/codec-keys). Exit status: 0 done, 1 the operation failed,
2 usage or bad input.`;

interface GlobalOptions {
  json?: boolean;
}

const iso = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString());

class Cli {
  private keeper: TokenKeeperClient | undefined;

  constructor(private readonly program: Command) {}

  private get json(): boolean {
    return (this.program.opts() as GlobalOptions).json === true;
  }

  /** Checks arguments before anything connects, so bad input changes nothing. */
  private check(companyId: string, email?: string): void {
    parse(companyIdSchema, companyId, 'companyId');
    if (email !== undefined) parse(userTokenRequestSchema, { email }, '');
  }

  private async connect(): Promise<TokenKeeperClient> {
    this.keeper ??= await connectKeeper(loadConfigOrExit());
    return this.keeper;
  }

  async close(): Promise<void> {
    await this.keeper?.close();
  }

  /** Prints `value` as JSON with --json, else the human lines. */
  print(value: unknown, human: string[]): void {
    process.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human.join('\n')}\n`);
  }

  async enrol(companyId: string, options: { tokensFile: string }): Promise<void> {
    this.check(companyId);
    const tokens = readTokens(options.tokensFile);
    const status = await (await this.connect()).enrol(companyId, tokens);
    this.print(status, [`Enrolled ${companyId}: ${status.status}, next refresh ${iso(status.nextRefreshAt)}.`]);
  }

  async reseed(companyId: string, options: { tokensFile: string }): Promise<void> {
    this.check(companyId);
    const tokens = readTokens(options.tokensFile);
    const status = await (await this.connect()).reseed(companyId, tokens);
    this.print(status, [`Reseeded ${companyId}: ${status.status}, next refresh ${iso(status.nextRefreshAt)}.`]);
  }

  async status(companyId: string): Promise<void> {
    this.check(companyId);
    const s = await (await this.connect()).status(companyId);
    this.print(s, [
      `${s.companyId}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`,
      `  access token expires  ${iso(s.accessTokenExpiresAt)}`,
      `  refresh token expires ${iso(s.refreshTokenExpiresAt)}`,
      `  next refresh          ${iso(s.nextRefreshAt)}`,
      `  last refresh          ${iso(s.lastRefreshAt)} (generation ${s.generation}, ${s.consecutiveFailures} failures in a row)`,
      ...(s.lastError ? [`  last error            ${s.lastError}`] : []),
      ...(s.status === 'NEEDS_REAUTH'
        ? [
            '  next: generate new tokens in the Plum dashboard, then: plum-keeper reseed ' +
              s.companyId +
              ' --tokens-file FILE',
          ]
        : []),
    ]);
  }

  async list(options: { status?: string }): Promise<void> {
    const rows = await (await this.connect()).list(options.status ? { status: options.status as never } : {});
    this.print(
      rows.map((r) => ({
        ...r,
        accessTokenExpiresAt: r.accessTokenExpiresAt?.toISOString(),
        nextRefreshAt: r.nextRefreshAt?.toISOString(),
      })),
      rows.length === 0
        ? ['No enrolled companies match.']
        : rows.map(
            (r) =>
              `${r.companyId.padEnd(32)} ${(r.status ?? '?').padEnd(13)} next refresh ${r.nextRefreshAt?.toISOString() ?? '—'}`,
          ),
    );
  }

  async token(companyId: string, options: { reveal?: boolean }): Promise<void> {
    this.check(companyId);
    const token = await (await this.connect()).getAccessToken(companyId);
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
    const token = await (await this.connect()).getUserToken(companyId, email, options.scope);
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
    const keeper = await this.connect();
    if (options.wait) {
      const result = await keeper.refreshNow(companyId, options.reason ?? 'plum-keeper rotate --wait');
      this.print({ companyId, rotated: true, expiresAt: result.expiresAt }, [
        `Rotated ${companyId}; the new token expires ${iso(result.expiresAt)}.`,
      ]);
      return;
    }
    await keeper.forceRefresh(companyId, options.reason ?? 'plum-keeper rotate');
    this.print({ companyId, requested: true }, [
      `Rotation requested for ${companyId}; plum-keeper status ${companyId} shows the result.`,
    ]);
  }

  async retire(companyId: string, options: { reason?: string }): Promise<void> {
    this.check(companyId);
    await (await this.connect()).retire(companyId, options.reason ?? 'plum-keeper retire');
    this.print({ companyId, retired: true }, [`Retired ${companyId}; its keeper workflow completes.`]);
  }
}

function exitCodeFor(error: unknown): number {
  const badInput =
    error instanceof InvalidInputError ||
    error instanceof NotEnrolledError ||
    error instanceof StaleTokensError ||
    error instanceof CliSetupError;
  return badInput ? 2 : 1;
}

function report(error: unknown, json: boolean): void {
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    error instanceof TokenKeeperError || error instanceof CliSetupError
      ? error.hint
      : 'see the message above; plum-keeper --help lists the commands';
  process.stderr.write(`plum-keeper: ${message}\n  next: ${hint}\n`);
  if (json) {
    const name = error instanceof Error ? error.name : 'Error';
    process.stdout.write(`${JSON.stringify({ error: { name, message, hint } })}\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('plum-keeper')
    .description('Operate plum-token-keeper: enrol companies, read status and tokens, rotate, reseed, retire.')
    .option('--json', 'print machine-readable JSON on stdout')
    .addHelpText('after', SECRETS_HELP)
    .exitOverride()
    .showHelpAfterError('(plum-keeper --help lists the commands and options)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const cli = new Cli(program);
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    (...args: A) =>
      fn.apply(cli, args);

  program
    .command('enrol')
    .description('start keeping a company’s tokens (or replace them, if it is already enrolled)')
    .argument('<companyId>')
    .requiredOption('--tokens-file <file>', 'Plum token set as JSON; - reads standard input')
    .action(run(cli.enrol));
  program
    .command('status')
    .description('show a company’s keeper status')
    .argument('<companyId>')
    .action(run(cli.status));
  program
    .command('list')
    .description('list enrolled companies')
    .addOption(new Option('--status <status>', 'only companies in this state').choices([...TOKEN_STATUSES]))
    .action(run(cli.list));
  program
    .command('token')
    .description('the current company access token (hidden unless --reveal)')
    .argument('<companyId>')
    .option('--reveal', 'print the token itself')
    .action(run(cli.token));
  program
    .command('user-token')
    .description('a user-scoped token for a Super Admin (hidden unless --reveal)')
    .argument('<companyId>')
    .argument('<email>')
    .option('--scope <scope>', 'permission scope (default user_session)')
    .option('--reveal', 'print the token itself')
    .action(run(cli.userToken));
  program
    .command('rotate')
    .description('rotate the token set now')
    .argument('<companyId>')
    .option('--wait', 'wait for the new token (refreshNow) instead of only asking (forceRefresh)')
    .option('--reason <text>', 'why, for the history')
    .action(run(cli.rotate));
  program
    .command('reseed')
    .description('install tokens generated in the Plum dashboard (after NEEDS_REAUTH)')
    .argument('<companyId>')
    .requiredOption('--tokens-file <file>', 'Plum token set as JSON; - reads standard input')
    .action(run(cli.reseed));
  program
    .command('retire')
    .description('stop keeping a company’s tokens')
    .argument('<companyId>')
    .option('--reason <text>', 'why, for the history')
    .action(run(cli.retire));

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    report(error, (program.opts() as GlobalOptions).json === true);
    return exitCodeFor(error);
  } finally {
    await cli.close();
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`plum-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
