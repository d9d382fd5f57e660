// npm run secrets [-- --dir secrets]: the files docker-compose.yml reads, made once. Existing files are kept (a new
// codec key would make every stored history unreadable); delete one to make it anew.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { EnrolmentKeyRing } from '../src/codec/enrolment-seal';

/** The image's `node` user: compose mounts secrets with the host file's owner and mode. */
const NODE_UID = 1000;

const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
const FILES: Record<string, () => string> = {
  'codec-keys': () => `codec-${day}:${randomBytes(32).toString('base64')}\n`,
  'token-keys': () => `seal-${day}:${randomBytes(32).toString('base64')}\n`,
  'enrolment-keys': () => `${EnrolmentKeyRing.generate(`enrol-${day}`)}\n`,
  'codec-server-token': () => `${randomBytes(32).toString('base64url')}\n`,
  'postgres-password': () => `${randomBytes(24).toString('base64url')}\n`,
  'plum-credentials.json': () => '{}\n',
};

/**
 * A self-signed certificate for https://localhost:8234, where the UI's browser reaches the codec server (the UI passes
 * access tokens to https endpoints only). Replace both files with your own CA's certificate for a real host name.
 */
function writeCodecServerCertificate(dir: string): string[] {
  const [cert, key] = [join(dir, 'codec-server-tls.crt'), join(dir, 'codec-server-tls.key')];
  if (existsSync(cert) && existsSync(key)) return [`kept    ${cert}`, `kept    ${key}`];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], // prettier-ignore
    { stdio: 'ignore' },
  );
  chmodSync(key, 0o600);
  return [
    `wrote   ${cert} (self-signed for localhost: your browser must trust it, or use your CA's)`,
    `wrote   ${key}`,
  ];
}

function receiverUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL, e.g. https://hooks.slack.com/services/…');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError('must be http(s)');
  return url.href;
}

const { dir, alertReceiverUrl } = new Command('npm run secrets --')
  .description('write the secrets docker-compose.yml reads (existing files are kept)')
  .option('--dir <dir>', 'where to write them', 'secrets')
  .option(
    '--alert-receiver-url <url>',
    'the webhook Alertmanager posts alerts to (your Slack, PagerDuty or Opsgenie webhook)',
    receiverUrl,
  )
  .parse()
  .opts<{ dir: string; alertReceiverUrl?: string }>();

/** Where alerts go: only the operator knows, so it is never made up; without it compose refuses to start. */
function writeAlertReceiver(): string {
  const path = join(dir, 'alertmanager-receiver-url');
  if (alertReceiverUrl === undefined) {
    if (existsSync(path)) return `kept    ${path}`;
    process.exitCode = 1;
    return (
      `missing ${path}: alerts would reach no one. Run again with --alert-receiver-url URL (your Slack, ` +
      'PagerDuty or Opsgenie webhook); the other files are kept'
    );
  }
  writeFileSync(path, `${alertReceiverUrl}\n`, { mode: 0o600 });
  if (root) chownSync(path, NODE_UID, NODE_UID);
  return `wrote   ${path}`;
}

mkdirSync(dir, { recursive: true, mode: 0o700 });
const root = process.getuid?.() === 0;
for (const [name, make] of Object.entries(FILES)) {
  const path = join(dir, name);
  if (existsSync(path)) {
    process.stdout.write(`kept    ${path}\n`);
    continue;
  }
  writeFileSync(path, make(), { mode: 0o600 });
  if (root) chownSync(path, NODE_UID, NODE_UID);
  process.stdout.write(`wrote   ${path}\n`);
}
/** The public half operators, services and the codec server hold; derived anew each run, so it follows the ring. */
function writeEnrolmentPublicKey(): string {
  const path = join(dir, 'enrolment-public-key');
  const ring = EnrolmentKeyRing.parse(readFileSync(join(dir, 'enrolment-keys'), 'utf8'), 'enrolment-keys');
  writeFileSync(path, `${ring.publicKey.toString()}\n`, { mode: 0o644 });
  if (root) chownSync(path, NODE_UID, NODE_UID);
  return `wrote   ${path} (public: give it to operators and services as PLUM_ENROLMENT_PUBLIC_KEY_FILE)`;
}

for (const line of [writeEnrolmentPublicKey(), ...writeCodecServerCertificate(dir), writeAlertReceiver()])
  process.stdout.write(`${line}\n`);
for (const file of ['codec-server-tls.crt', 'codec-server-tls.key']) {
  if (root) chownSync(join(dir, file), NODE_UID, NODE_UID);
}
if (!root && process.getuid?.() !== NODE_UID) {
  process.stdout.write(
    `note: the files belong to uid ${process.getuid?.()}; the image runs as node (uid ${NODE_UID}) and must read them: sudo chown ${NODE_UID}:${NODE_UID} ${dir}/*\n`,
  );
}
process.stdout.write(
  `next: put each company's API client in ${join(dir, 'plum-credentials.json')}, set PLUM_OIDC_ISSUER, ` +
    `PLUM_OIDC_AUDIENCE, TEMPORAL_AUTH_CLIENT_ID and TEMPORAL_AUTH_CLIENT_SECRET (docker-compose.yml says what each is), ` +
    `then docker compose up -d\n`,
);
