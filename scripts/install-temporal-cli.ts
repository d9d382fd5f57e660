// Finds the temporal CLI, installing it with `go install` when Go is present (CI and first runs).
import { locateTemporalCli } from '../src/temporal/cli-locator';

locateTemporalCli({ log: (line) => console.log(line) }).then(
  (path) => {
    if (!path) {
      console.error('No temporal CLI and no Go to install it: install Go, or set TEMPORAL_CLI_PATH');
      process.exit(1);
    }
    console.log(`temporal CLI: ${path}`);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
