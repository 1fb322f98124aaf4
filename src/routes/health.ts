import { Hono } from 'hono';
import type { AppEnv } from '../context.js';

export function healthRoutes() {
  const app = new Hono<AppEnv>();
  // For container health checks and uptime monitors: proves the database answers.
  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    try {
      const version = c.var.deps.db.pragma('user_version', { simple: true }) as number;
      c.var.deps.db.prepare('SELECT 1').get();
      return c.json({ status: 'ok', schema: version });
    } catch {
      return c.json({ status: 'unavailable', reason: 'database' }, 503);
    }
  });
  return app;
}
