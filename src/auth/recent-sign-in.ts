// Sensitive changes (password, second factors, recovery codes and links, deleting the account)
// need a sign-in within the last 10 minutes. A session left open on a shared computer, or a
// stolen session cookie, then cannot be used to take the account over for good.
import type { Context, Next } from 'hono';
import type { AppEnv } from '../context.js';
import type { Session } from '../db/sessions.js';
import { MINUTE } from '../lib/clock.js';
import { safeNext } from '../lib/http.js';

export const RECENT_SIGN_IN = 10 * MINUTE;

export function signedInRecently(session: Session | null, now: number): boolean {
  return session !== null && now - session.authenticatedAt < RECENT_SIGN_IN;
}

/**
 * Middleware (after requireUser): without a recent sign-in, go and confirm first, then come back.
 * GET pages come back to themselves; a form post comes back to the page it was sent from (the
 * account page by default), where the person presses the button again.
 */
export async function requireRecentSignIn(c: Context<AppEnv>, next: Next) {
  if (signedInRecently(c.var.session, c.var.deps.clock.now())) return next();
  const back = c.req.method === 'GET' ? new URL(c.req.url).pathname + new URL(c.req.url).search : refererPath(c);
  c.header('Cache-Control', 'no-store');
  if (c.req.header('content-type')?.includes('application/json') || c.req.header('accept')?.includes('application/json')) {
    return c.json({ error: 'confirm', message: 'Please confirm it is you first.', location: `/account/confirm?next=${encodeURIComponent(back)}` }, 403);
  }
  return c.redirect(`/account/confirm?next=${encodeURIComponent(back)}`, 303);
}

/** The local page a form was posted from (Referrer-Policy same-origin sends it), or /account. */
function refererPath(c: Context<AppEnv>): string {
  const referer = c.req.header('referer');
  if (!referer) return '/account';
  try {
    const url = new URL(referer);
    if (url.origin !== c.var.deps.config.origin) return '/account';
    return safeNext(url.pathname + url.search, '/account');
  } catch {
    return '/account';
  }
}
