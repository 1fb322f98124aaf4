// Container health check: exit 0 when Quire's /healthz answers 200 (the database responded), 1 otherwise.
// Node does the request itself because the slim base image has no curl or wget. Used by the Containerfile's
// HEALTHCHECK and by HealthCmd= in deploy/quire.container; run it with `node /app/healthcheck.mjs`.
const port = process.env.PORT || '8080';

try {
  // Shorter than the runtime's own timeout (5 s), so a hung server reports "unhealthy" rather than a killed check.
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  if (!response.ok) console.error(`healthz answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthz unreachable: ${error.cause?.code ?? error.name}`);
  process.exit(1);
}
