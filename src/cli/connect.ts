import type { Client } from '@temporalio/client';
import { TokenKeeperClient } from '../client/token-keeper-client';
import type { Config } from '../config';
import { MissingKeyRingError, resolveOperatorKeyRings } from '../config/key-ring-variables';
import { clientFromConfig } from '../connection/client-from-config';

/** The CLI cannot work with this configuration; exit 2. */
export class CliSetupError extends Error {
  override readonly name = 'CliSetupError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** What a command does with tokens: `print` needs the token ring; `send` works without it, at one rotation's cost. */
export type TokenUse = 'none' | 'send' | 'print';

/** A connected keeper client, and whether the sets it sends reach history sealed (token ring or enrolment key). */
export interface ConnectedKeeper {
  keeper: TokenKeeperClient;
  /** The Temporal client under it, for the commands that read the Worker Deployment. */
  client: Client;
  sealsSentSets: boolean;
}

/**
 * Connects to the Temporal the configuration names: TEMPORAL_ADDRESS, else the main job's embedded server. Operator
 * commands need only the payload ring; a command that prints a token (`command`) needs the token ring as well.
 */
export async function connectKeeper(config: Config, command: string, tokens: TokenUse): Promise<ConnectedKeeper> {
  let rings;
  try {
    rings = resolveOperatorKeyRings(config);
  } catch (error) {
    if (error instanceof MissingKeyRingError) throw new CliSetupError(error.message, error.hint);
    throw error;
  }
  if (tokens === 'print' && !rings.tokens) {
    throw new CliSetupError(
      `plum-keeper ${command} needs PLUM_TOKEN_KEYS: it prints a token, and tokens are sealed with that ring`,
      'set PLUM_TOKEN_KEYS (or PLUM_TOKEN_KEYS_FILE) to the workers’ token ring; every other command ' +
        '(list, status, doctor, rotate, retire, reseed, enrol, upgrade) needs only PLUM_CODEC_KEYS',
    );
  }
  const client = await clientFromConfig(config, rings);
  const keeper = new TokenKeeperClient({ client });
  return { keeper, client, sealsSentSets: rings.tokens !== undefined || rings.enrolment !== undefined };
}
