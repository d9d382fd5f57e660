// Issue 22, defect 6: a 307 re-posted the body and a valid signature to another origin, a 302 to a login page
// answering 200 counted as delivered, and verifyAlertSignature accepted a timestamp from 2020.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  AlertDeliveryError,
  AlertWebhook,
  alertSignature,
  verifyAlertSignature,
} from '../../src/activities/alert-webhook';
import type { StatusAlert } from '../../src/contract';

const SECRET = 'webhook secret';
const ALERT: StatusAlert = {
  id: 'a1',
  event: 'entered',
  companyId: 'acme',
  workflowId: 'plum-company:acme',
  status: 'DEGRADED',
  previous: 'OK',
  summary: 's',
  action: 'a',
  at: new Date().toISOString(),
};

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe('webhook delivery and verification', () => {
  let other: { server: Server; url: string };
  let receiver: { server: Server; url: string };
  let reachedOther = 0;

  before(async () => {
    other = await listen((req, res) => {
      reachedOther += 1;
      req.resume();
      res.writeHead(200).end('login page');
    });
    receiver = await listen((req, res) => {
      req.resume();
      if (req.url === '/307') return void res.writeHead(307, { location: `${other.url}/steal` }).end();
      if (req.url === '/302') return void res.writeHead(302, { location: `${other.url}/login` }).end();
      res.writeHead(204).end();
    });
  });
  after(() => {
    other.server.close();
    receiver.server.close();
  });

  for (const path of ['/307', '/302']) {
    it(`does not follow a ${path.slice(1)}: not delivered, nothing sent elsewhere`, async () => {
      const webhook = new AlertWebhook({ url: `${receiver.url}${path}`, secret: SECRET, timeoutMs: 2000 });
      await assert.rejects(webhook.send(ALERT), (error: unknown) => {
        assert.ok(error instanceof AlertDeliveryError);
        assert.match(error.message, /redirect: not followed/);
        return true;
      });
      assert.equal(reachedOther, 0, 'the other origin received nothing');
    });
  }

  it('delivers on a 2xx', async () => {
    await new AlertWebhook({ url: `${receiver.url}/ok`, secret: SECRET, timeoutMs: 2000 }).send(ALERT);
  });

  it('verifies a signature only within the freshness window (default 5 minutes)', () => {
    const body = JSON.stringify(ALERT);
    const now = Date.now();
    const fresh = String(Math.floor(now / 1000));
    assert.ok(verifyAlertSignature(SECRET, fresh, body, alertSignature(SECRET, fresh, body)));
    const old = String(Math.floor(Date.UTC(2020, 0, 1) / 1000));
    assert.ok(!verifyAlertSignature(SECRET, old, body, alertSignature(SECRET, old, body)), 'a 2020 alert is refused');
    const sixMinutes = String(Math.floor(now / 1000) - 360);
    const signed = alertSignature(SECRET, sixMinutes, body);
    assert.ok(!verifyAlertSignature(SECRET, sixMinutes, body, signed));
    assert.ok(verifyAlertSignature(SECRET, sixMinutes, body, signed, { windowSeconds: 600 }), 'the receiver sets it');
    assert.ok(!verifyAlertSignature(SECRET, 'soon', body, alertSignature(SECRET, 'soon', body)), 'not a number');
  });
});
