import { Hono } from 'hono';
import type { AppEnv } from '../context.js';

export function staticRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/static/*', (c) => {
    const asset = c.var.deps.assets.get(c.req.path);
    if (!asset) return c.notFound();
    // The URL carries the content hash, so the file behind it never changes.
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('ETag', asset.etag);
    c.header('Content-Type', asset.contentType);
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(asset.body as Uint8Array<ArrayBuffer>);
  });
  return app;
}
