import { DevServer } from '../../src/dev-server/dev-server';
import { locateTemporalCli } from '../../src/dev-server/cli-locator';

/** Finds (or installs) the CLI for tests; the tests need a real server, so absence is an error here. */
export async function testCliPath(): Promise<string> {
  const path = await locateTemporalCli({ log: (line) => console.error(line) });
  if (!path) throw new Error('tests need the temporal CLI: install Go, or set TEMPORAL_CLI_PATH');
  return path;
}

/** A fresh in-memory dev server for one test file. */
export async function startTestServer(): Promise<DevServer> {
  return DevServer.start({ cliPath: await testCliPath() });
}
