// The container health check: `node dist/main/healthcheck.js readyz` (a worker) or `… codec` (the codec server).
// Exits 0 when the endpoint answers 2xx within 3 s. The image has no curl; this needs nothing but Node.
const target = process.argv[2] ?? 'healthz';
const port =
  target === 'codec' ? (process.env.PLUM_CODEC_SERVER_PORT ?? '8234') : (process.env.PLUM_METRICS_PORT ?? '9464');
const path = target === 'readyz' ? '/readyz' : '/healthz';

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
