import { ConfigError, exitOnConfigProblems, loadConfigOrExit } from '../config';
import { loadLocalKeyRing, localKeyPath } from '../codec/local-key';
import { resolveEnrolmentPublicKey } from '../config/key-ring-variables';
import { startCodecServer } from '../codec-server/start';

/** `npm run codec-server`: the remote codec for the Temporal UI and CLI, from the same configuration as the worker. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const embedded = config.temporal.mode === 'embedded';
  // Beside the embedded demo it reads the key npm start keeps, as the CLI does.
  const keyRing = config.codec.keyRing ?? (embedded ? loadLocalKeyRing(config.dataDir) : undefined);
  if (!keyRing) {
    exitOnConfigProblems([
      {
        variable: 'PLUM_CODEC_KEYS',
        problem: embedded
          ? `no key ring: run npm start once (it makes ${localKeyPath(config.dataDir)}) or set PLUM_CODEC_KEYS=id:base64key`
          : 'the codec server needs the key ring the workers use (id:base64key,…)',
      },
    ]);
    return;
  }
  if (config.codec.tokenKeyRing) {
    // With the token ring the codec server would unseal tokens for everyone who can open the UI.
    exitOnConfigProblems([
      {
        variable: 'PLUM_TOKEN_KEYS',
        problem: 'the codec server must never hold the token ring; remove PLUM_TOKEN_KEYS from its environment',
      },
    ]);
  }
  if (config.codec.enrolmentKeys) {
    exitOnConfigProblems([
      {
        variable: 'PLUM_ENROLMENT_KEYS',
        problem:
          'the codec server must never hold the enrolment ring (it opens every set operators send); give it PLUM_ENROLMENT_PUBLIC_KEY instead',
      },
    ]);
  }
  let started;
  try {
    started = await startCodecServer(config, keyRing, resolveEnrolmentPublicKey(config));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitOnConfigProblems(error.problems);
    return;
  }
  process.stdout.write(`${started.description}\n`);
  const stop = () => void started.server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
