// R5, calling Plum through PlumApi (issue 30, items 3 and 4): fuzzed request paths must either stay under the base URL
// or be refused before anything is sent, and a 401 whose body names another cause than the token (IP not
// whitelisted) must never rotate the company's token.
import fc from 'fast-check';
import { PlumApi, PlumApiPathError } from '../../src/client';
import type { ChaosLab } from '../lib/lab';
import { Tally, unclearMessage } from '../lib/tally';

const paths = fc.oneof(
  fc.webPath(),
  fc.webUrl(),
  fc.constantFrom('../../x', '..%2f..%2fx', '//evil.example/x', 'https://evil.example/x', '/v1/oauth/api'),
  fc.string({ maxLength: 200 }),
);

export async function fuzzPlumApi(
  lab: ChaosLab,
  live: string,
  sample: <T>(a: fc.Arbitrary<T>) => T[],
  whitelistRefusals: number,
): Promise<Tally> {
  const tally = new Tally('PlumApi paths and 401s');
  const base = `${lab.sandbox.url}/`;
  const sent: string[] = [];
  const api = new PlumApi(lab.keeper, {
    baseUrl: base,
    fetch: (input, init) => (sent.push(String(input)), fetch(input, init)),
  });
  const secrets = lab.secrets();
  for (const path of sample(paths)) {
    sent.length = 0;
    try {
      const response = await api.request(live, path, { method: 'GET' });
      await response.body?.cancel();
      const outside = sent.find((url) => !url.startsWith(base));
      tally.record(outside === undefined ? undefined : `path ${JSON.stringify(path)} sent the token to ${outside}`);
    } catch (error) {
      const refusedAfterSending = error instanceof PlumApiPathError && sent.length > 0;
      tally.record(refusedAfterSending ? 'refused after sending' : unclearMessage(error, secrets));
    }
  }
  const rotations = lab.sandbox.rotationCount(live);
  await lab.sandbox.injectFault('api', {
    kind: 'application',
    errorId: 'PIPE10017',
    status: 401,
    times: whitelistRefusals,
  });
  for (let i = 0; i < whitelistRefusals; i += 1) {
    const response = await api.request(live, '/v1/oauth/api', { method: 'POST', body: '{}' });
    await response.body?.cancel();
    tally.record(response.status === 401 ? undefined : `an IP-whitelist 401 came back as ${response.status}`);
  }
  const rotated = lab.sandbox.rotationCount(live) - rotations;
  tally.record(rotated === 0 ? undefined : `${rotated} rotation(s) for 401s about the IP whitelist`);
  return tally;
}
