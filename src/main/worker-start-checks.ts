import { CredentialsFileError, readCredentialsFile } from '../plum/credentials-file';
import type { Config } from '../config';
import { exitOnConfigProblems, workerConfigProblems } from '../config';
import type { KeyRings } from '../config/key-ring-variables';
import { MissingKeyRingError, resolveKeyRings } from '../config/key-ring-variables';

/**
 * What the worker checks before it connects to anything, exiting 2 with every problem named: API credentials for a
 * real Plum, a credentials file that exists and has the right shape (a typo there would otherwise surface only as
 * `NEEDS_REAUTH` companies, one refresh at a time), and both key rings.
 */
export function checkWorkerStartOrExit(config: Config, log: (line: string) => void): KeyRings {
  const problems = workerConfigProblems(config);
  const file = config.plum.credentialsFile;
  if (file) {
    try {
      readCredentialsFile(file);
    } catch (error) {
      if (!(error instanceof CredentialsFileError)) throw error;
      problems.push({
        variable: 'PLUM_CREDENTIALS_FILE',
        problem: error.message.replace(/^PLUM_CREDENTIALS_FILE /, ''),
      });
    }
  }
  exitOnConfigProblems(problems);
  try {
    const rings = resolveKeyRings(config, { create: true, log });
    if (!rings.enrolment) {
      log(
        'PLUM_ENROLMENT_KEYS is unset: token sets sealed for an enrolment key are refused, and sets sent with neither ring are rotated at once (README: On call without the keys to every token)',
      );
    }
    return rings;
  } catch (error) {
    if (!(error instanceof MissingKeyRingError)) throw error;
    exitOnConfigProblems([{ variable: error.variable, problem: `${error.problem}: ${error.hint}` }]);
    throw error;
  }
}
