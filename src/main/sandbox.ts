import { parseArgs } from 'node:util';
import { PlumSandbox } from '../sandbox/plum-sandbox';

const USAGE = `Usage: npm run sandbox -- [options]
  --port N              port to listen on (default 8799; 0 picks a free one)
  --company ID          company to seed (repeatable; default demo-company)
  --access-lifetime S   access-token lifetime in seconds (default 1296000 = 15 days)
  --refresh-lifetime S  refresh-token lifetime in seconds (default 2592000 = 30 days)
  --rotation MODE       strict (old refresh token dead at once) or grace (default strict)
  --grace S             grace window in seconds for --rotation grace (default 21600)
  --max-pairs N         active token pairs per client (default 10)
  --admin-token T       demand this bearer token on /__sandbox/ admin routes`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    console.error(`sandbox: --${name} must be a non-negative integer, got "${value}"\n\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        company: { type: 'string', multiple: true },
        'access-lifetime': { type: 'string' },
        'refresh-lifetime': { type: 'string' },
        rotation: { type: 'string' },
        grace: { type: 'string' },
        'max-pairs': { type: 'string' },
        'admin-token': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`sandbox: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rotation = values.rotation ?? 'strict';
  if (rotation !== 'strict' && rotation !== 'grace') {
    console.error(`sandbox: --rotation must be strict or grace, got "${rotation}"\n\n${USAGE}`);
    process.exit(2);
  }
  const sandbox = await PlumSandbox.start({
    port: positiveInt('port', values.port, 8799),
    rotation,
    accessLifetimeMs: positiveInt('access-lifetime', values['access-lifetime'], 1_296_000) * 1000,
    refreshLifetimeMs: positiveInt('refresh-lifetime', values['refresh-lifetime'], 2_592_000) * 1000,
    graceMs: positiveInt('grace', values.grace, 21_600) * 1000,
    maxActivePairs: positiveInt('max-pairs', values['max-pairs'], 10),
    ...(values['admin-token'] !== undefined && { adminToken: values['admin-token'] }),
  });
  console.log(`Plum sandbox listening on ${sandbox.url} (rotation: ${rotation})`);
  console.log('This is a local stand-in for Plum: its credentials below are throwaway values.');
  const credentials: Record<string, { client_id: string; client_secret: string }> = {};
  const tokenSets: string[] = [];
  for (const companyId of values.company ?? ['demo-company']) {
    const seeded = await sandbox.seedCompany({ companyId });
    credentials[companyId] = { client_id: seeded.clientId, client_secret: seeded.clientSecret };
    tokenSets.push(`${companyId}: ${JSON.stringify(seeded.tokens)}`);
  }
  console.log('\nPLUM_CREDENTIALS_FILE, in the file’s own shape (the worker reads it as it is):');
  console.log(JSON.stringify(credentials, null, 2));
  console.log('\nToken sets, one per company (save one as a file: plum-keeper enrol <companyId> --tokens-file FILE):');
  for (const line of tokenSets) console.log(line);
  const stop = () => void sandbox.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
