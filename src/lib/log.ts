// One JSON line per request on stdout; errors with their stack on stderr.
// Paths that carry a secret (invite, recovery and preview links) are logged without it.
export const SECRET_PATHS = /^\/(invite|recover|preview)\/[^/]+/;

export function redactPath(path: string): string {
  return path.replace(SECRET_PATHS, '/$1/[redacted]');
}

export function logRequest(method: string, path: string, status: number, ms: number): void {
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), method, path: redactPath(path), status, ms: Math.round(ms * 10) / 10 }) + '\n',
  );
}

export function logError(error: unknown, context: { method?: string; path?: string } = {}): void {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const where = context.path ? ` during ${context.method ?? ''} ${redactPath(context.path)}` : '';
  process.stderr.write(`[${new Date().toISOString()}] Error${where}: ${stack}\n`);
}

export function logInfo(message: string): void {
  process.stdout.write(message + '\n');
}
