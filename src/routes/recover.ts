// Opening a recovery link an owner (or the host) issued: a new password, everything else reset.
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { describeWait } from '../auth/rate-limit.js';
import { findUsableRecoveryLink, redeemRecoveryLink } from '../auth/recovery-links.js';
import { recordEvent } from '../auth/second-factor.js';
import { getUserById } from '../db/users.js';
import { chrome, clientIp, noStore, renderPage } from '../lib/http.js';
import { RecoverInvalidPage, RecoverPage } from '../../views/account-recovery.js';
import { CredentialsPage } from '../../views/auth.js';
import { completeSignIn } from './auth.js';

export function recoverRoutes() {
  const app = new Hono<AppEnv>();
  app.use('/recover/*', async (c, next) => {
    await next();
    noStore(c);
  });

  app.get('/recover/:token', (c) => {
    const { db, clock } = c.var.deps;
    const token = c.req.param('token');
    const link = findUsableRecoveryLink(db, token, clock.now());
    const user = link ? getUserById(db, link.userId) : null;
    if (!link || !user) return renderPage(c, RecoverInvalidPage({ chrome: chrome(c) }), 410);
    return renderPage(c, RecoverPage({ chrome: chrome(c), token, displayName: user.displayName, username: user.username }));
  });

  app.post('/recover/:token', async (c) => {
    const { db, clock, throttles } = c.var.deps;
    const token = c.req.param('token');
    // Links carry 160 bits, so this only keeps a script from making the server hash all day.
    const byIp = throttles.enrolByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      const link = findUsableRecoveryLink(db, token, clock.now());
      const user = link ? getUserById(db, link.userId) : null;
      if (!user) return renderPage(c, RecoverInvalidPage({ chrome: chrome(c) }), 410);
      const error = `Too many attempts from your network. Please wait ${describeWait(byIp.retryAfter)} and press Continue again.`;
      return renderPage(c, RecoverPage({ chrome: chrome(c), token, displayName: user.displayName, username: user.username, error }), 429);
    }
    const link = findUsableRecoveryLink(db, token, clock.now());
    if (!link) return renderPage(c, RecoverInvalidPage({ chrome: chrome(c) }), 410);
    const recovery = await redeemRecoveryLink(db, link, clock.now());
    if (!recovery) return renderPage(c, RecoverInvalidPage({ chrome: chrome(c) }), 410);
    // Whoever was signed in in this browser before (perhaps the owner who made the link) is not
    // anymore: completeSignIn ends that session.
    completeSignIn(c, recovery.user);
    c.set('user', recovery.user);
    recordEvent(c, recovery.user.id, 'recovery-link-used');
    recordEvent(c, recovery.user.id, 'password-renewed', 'by the recovery link');
    return renderPage(
      c,
      CredentialsPage({
        chrome: chrome(c),
        username: recovery.user.username,
        password: recovery.password,
        displayName: recovery.user.displayName,
        next: '/account?recovered=link',
        heading: `Welcome back, ${recovery.user.displayName}`,
        intro: 'You are signed in. Quire made you a new password; your old one, your authenticator app and your recovery codes no longer work.',
      }),
    );
  });

  return app;
}
