import type { Context, Next } from 'hono';
import type { AppEnv } from '../context.js';
import { chrome, renderPage } from '../lib/http.js';
import { ErrorPage } from '../../views/error.js';

/** Pages for signed-in people: others are sent to sign in and brought back afterwards. */
export async function requireUser(c: Context<AppEnv>, next: Next) {
  if (!c.var.user) {
    if (c.req.path.startsWith('/api/')) {
      return c.json({ error: 'signed-out', message: 'You are signed out. Sign in again; your text is kept on this device.' }, 401);
    }
    const url = new URL(c.req.url);
    const back = c.req.method === 'GET' ? url.pathname + url.search : '/write';
    return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
  }
  c.header('Cache-Control', 'no-store');
  await next();
}

/** Owner-only pages. */
export async function requireOwner(c: Context<AppEnv>, next: Next) {
  if (c.var.user?.role !== 'owner') {
    return renderPage(
      c,
      ErrorPage({ chrome: chrome(c), status: 403, title: 'Owners only', message: 'Only an owner of this blog can open this page.' }),
      403,
    );
  }
  await next();
}
