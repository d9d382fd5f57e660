import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { TOKEN_STATUSES } from '../contract';
import { Cli } from './commands';
import { exitCodeFor, report } from './output';

/** The package's version: src/cli and dist/cli both sit two folders below package.json. */
const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
  .version;

const SECRETS_HELP = `
Secrets (token sets) are read from a file or standard input (--tokens-file FILE, or --tokens-file - to read stdin),
never from the command line, where other users of this machine could read them. Tokens are printed only with
--reveal.

Connection: TEMPORAL_ADDRESS or a Temporal profile (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE; else the embedded
server of npm start on 127.0.0.1:7233), TEMPORAL_NAMESPACE,
PLUM_CODEC_KEYS (else the embedded key in .data/codec-keys): enough for every command but token and user-token,
which print a token and need PLUM_TOKEN_KEYS too. Exit status: 0 done, 1 the operation failed, 2 usage or bad input.`;

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1 || seconds > 3600)
    throw new InvalidArgumentError('must be a whole number of seconds from 1 to 3600');
  return seconds;
}

function retention(value: string): number {
  const ms = /^\d+[hd]$/.test(value)
    ? Number(value.slice(0, -1)) * (value.endsWith('d') ? 86_400_000 : 3_600_000)
    : NaN;
  if (!(ms >= 86_400_000 && ms <= 3650 * 86_400_000))
    throw new InvalidArgumentError('must be hours or days, from 24h (Temporal’s minimum) to 3650d, e.g. 72h or 30d');
  return ms;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('plum-keeper')
    .description('Operate plum-token-keeper: enrol companies, read status and tokens, rotate, reseed, retire.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print machine-readable JSON on stdout (times in ISO 8601)')
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
    .option('--yes', 'do not ask for confirmation (needed without a terminal)')
    .action(run(cli.retire));
  program
    .command('upgrade')
    .description(
      'wake every keeper so runs pinned to an older build continue as new onto the current one (after set-current-version)',
    )
    .option('--build-id <id>', 'wait until every keeper runs on this build; exit 1 naming those that do not')
    .addOption(new Option('--timeout <seconds>', 'how long --build-id waits').default(120).argParser(positiveSeconds))
    .action(run(cli.upgrade));
  program
    .command('rollout [action]')
    .description(
      'show the Worker Deployment: current and ramping builds, who set them, keepers per build, what the workers do next; `rollout resume` hands routing back to the workers after an operator’s change',
    )
    .option('--build-id <id>', 'with resume: the build to make current (default: the newest build whose workers poll)')
    .action(run(cli.rollout));
  program
    .command('setup-namespace')
    .description(
      'register TEMPORAL_NAMESPACE (when missing) and the four search attributes the keeper needs; safe to run again',
    )
    .addOption(
      new Option('--retention <duration>', 'how long closed runs stay in history, for a namespace it registers')
        .default(72 * 3_600_000, '72h')
        .argParser(retention),
    )
    .action(run(cli.setupNamespace));
  program
    .command('doctor')
    .description(
      'check configuration, Temporal, search attributes, the in-flight update limit, workers, codec keys and Plum',
    )
    .action(run(cli.doctor));

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
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
    report(error, (program.opts() as { json?: boolean }).json === true);
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
