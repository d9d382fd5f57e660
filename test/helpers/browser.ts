import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); playwright's own download cannot work here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without a browser a browser suite is skipped with this reason, so `npm test` passes on a fresh machine. */
export const NO_CHROMIUM = existsSync(CHROMIUM)
  ? false
  : `no chromium at ${CHROMIUM}: apt-get install chromium (.ci/run installs it) or set CHROMIUM_PATH`;
/** Screenshots for people to look at (README embeds copies from docs/images). */
export const SCREENSHOT_DIR = join('test-results', 'screenshots');
