import { TokenKeeperClient, parseKeyRing } from '@plum-token-keeper/client';

async function main(): Promise<void> {
  const keeper = await TokenKeeperClient.connect({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    keyRing: parseKeyRing(process.env.PLUM_CODEC_KEYS ?? '', undefined),
    tokenKeyRing: parseKeyRing(process.env.PLUM_TOKEN_KEYS ?? '', undefined, 'PLUM_TOKEN_KEYS'),
  });
  const token = await keeper.getAccessToken(process.env.PLUM_COMPANY ?? 'demo-company');
  console.log(`${token.status} token of ${token.accessToken.length} characters, expires at ${token.expiresAt}`);
  await keeper.close();
}

void main();
