import { TokenKeeperClient } from '../client/token-keeper-client';
import type { Config } from '../config';
import { MissingKeyRingError, resolveKeyRings } from '../config/key-ring';
import { clientFromConfig } from '../config/temporal-client';

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

/** Connects to the Temporal the configuration names: TEMPORAL_ADDRESS, else the main job's embedded server. */
export async function connectKeeper(config: Config): Promise<TokenKeeperClient> {
  let rings;
  try {
    rings = resolveKeyRings(config, { create: false });
  } catch (error) {
    if (error instanceof MissingKeyRingError) throw new CliSetupError(error.message, error.hint);
    throw error;
  }
  return new TokenKeeperClient({ client: await clientFromConfig(config, rings) });
}
