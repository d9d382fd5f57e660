// The container health check: `node dist/main/healthcheck.js readyz` (a worker) or `… codec` (the codec server).
// Exits 0 when the endpoint answers 2xx within 3 s. The image has no curl; this needs nothing but Node.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const target = process.argv[2] ?? 'healthz';
const codec = target === 'codec';
const port = codec ? (process.env.PLUM_CODEC_SERVER_PORT ?? '8234') : (process.env.PLUM_METRICS_PORT ?? '9464');
const path = target === 'readyz' ? '/readyz' : '/healthz';
// A codec server with a certificate speaks only https. The probe asks its own loopback address, where the certificate
// names another host; /healthz carries nothing secret, so the name is not checked here.
const tls = codec && Boolean(process.env.PLUM_CODEC_SERVER_TLS_CERT_FILE);
const send = tls ? httpsRequest : httpRequest;

const probe = send(
  { host: '127.0.0.1', port, path, timeout: 3000, ...(tls && { rejectUnauthorized: false }) },
  (response) => {
    response.resume();
    process.exit(response.statusCode !== undefined && response.statusCode < 300 && response.statusCode >= 200 ? 0 : 1);
  },
);
probe.on('timeout', () => probe.destroy());
probe.on('error', () => process.exit(1));
probe.end();
