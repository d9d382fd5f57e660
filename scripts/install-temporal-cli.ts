// Finds the temporal CLI and the Temporal server binary, installing each with `go install` when Go is present (CI,
// first runs; `npm test` runs this once before any test starts, so no two tests build them side by side).
import { goBinary, uiServerBinary } from './cluster/temporal-server';
import { locateTemporalCli } from '../src/dev-server/cli-locator';

async function main(): Promise<number> {
  const cli = await locateTemporalCli({ log: (line) => console.log(line) });
  if (!cli) {
    console.error('No temporal CLI and no Go to install it: install Go, or set TEMPORAL_CLI_PATH');
    return 1;
  }
  console.log(`temporal CLI: ${cli}`);
  // The Worker Versioning tests and the fault suite's DEPLOY need server v1.31.2: the CLI's dev server is older.
  console.log(`temporal server: ${goBinary('server', (line) => console.log(line))}`);
  // The production-mode UI test signs in through OIDC, which the CLI's embedded UI cannot.
  console.log(`temporal UI server: ${uiServerBinary((line) => console.log(line))}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
