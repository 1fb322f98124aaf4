import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import { rememberDevice, trustedDeviceFor } from '../auth/device.js';
import { checkDisplayName, findUsableInvite, redeemInvite } from '../auth/invites.js';
import { verifyPassword } from '../auth/password.js';
import { describeWait } from '../auth/rate-limit.js';
import { factorsOf, hasSecondFactor, recordEvent, startPendingSignIn } from '../auth/second-factor.js';
import { describeBrowser, startSession } from '../auth/session.js';
import { deleteSession } from '../db/sessions.js';
import { hasSecurityEventSince } from '../db/security-events.js';
import { getUserByUsername, updatePasswordHash, type User } from '../db/users.js';
import { MINUTE } from '../lib/clock.js';
import { chrome, clearSessionCookie, clientIp, noStore, readForm, renderPage, safeNext, setSessionCookie } from '../lib/http.js';
import { CredentialsPage, EnrolPage, InviteInvalidPage, LoginPage } from '../../views/auth.js';

const WRONG_CREDENTIALS = 'That username and password do not match an account. Check them in your password manager and try again.';

/**
 * Starts a fresh session for a verified person and remembers this browser for throttling.
 * A session this browser already had (perhaps someone else's) ends here, rather than lingering
 * unseen in that person's list of devices after its cookie is replaced.
 */
export function completeSignIn(c: Context<AppEnv>, user: User): void {
  const { db, clock } = c.var.deps;
  if (c.var.session) deleteSession(db, c.var.session.id);
  const { token } = startSession(db, user.id, clock.now(), describeBrowser(c.req.header('user-agent')));
  setSessionCookie(c, token);
  rememberDevice(c, user.id);
}

export function authRoutes() {
  const app = new Hono<AppEnv>();

  // ── Sign in ────────────────────────────────────────────────────────────────
  app.get('/login', (c) => {
    if (c.var.user) return c.redirect(safeNext(c.req.query('next')), 303);
    noStore(c);
    return renderPage(
      c,
      LoginPage({ chrome: chrome(c), next: c.req.query('next'), signedOut: c.req.query('signed_out') === '1' }),
    );
  });

  app.post('/login', async (c) => {
    const { db, clock, throttles } = c.var.deps;
    noStore(c);
    const form = await readForm(c);
    const username = (form.username ?? '').trim().slice(0, 100);
    const password = (form.password ?? '').slice(0, 200);
    const next = form.next ? safeNext(form.next) : undefined;
    const again = (status: 400 | 401 | 429, error: string) =>
      renderPage(c, LoginPage({ chrome: chrome(c), username, next, error }), status);

    if (!username || !password) return again(400, 'Enter both your username and your password.');

    const byIp = throttles.signInByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      return again(429, `Too many sign-in attempts from your network. Please wait ${describeWait(byIp.retryAfter)} and try again.`);
    }

    const user = getUserByUsername(db, username);
    const device = user ? trustedDeviceFor(c, user.id) : null;
    const throttleKey = device ? `device:${device}` : `account:${username.toLowerCase()}`;
    const delay = throttles.signInFailures.check(throttleKey);
    if (!delay.ok) {
      c.header('Retry-After', String(delay.retryAfter));
      return again(
        429,
        `There have been several wrong attempts for this account, so Quire is slowing down. Please wait ${describeWait(delay.retryAfter)} and try again.`,
      );
    }

    const result = await verifyPassword(user?.passwordHash ?? null, password);
    if (!user || !result.ok) {
      throttles.signInFailures.fail(throttleKey);
      // Tell the writer about a burst of wrong passwords (once per half hour), when the delays begin.
      if (user && !throttles.signInFailures.check(throttleKey).ok && !hasSecurityEventSince(db, user.id, 'sign-in-failures', clock.now() - 30 * MINUTE)) {
        recordEvent(c, user.id, 'sign-in-failures', device ? 'from a browser you used before' : 'from a browser Quire did not recognise');
      }
      return again(401, WRONG_CREDENTIALS);
    }
    throttles.signInFailures.succeed(throttleKey);
    if (result.rehash) updatePasswordHash(db, user.id, result.rehash);
    // With an authenticator app or a passkey on, the password alone opens nothing: the browser
    // gets a short-lived pending sign-in and is asked for the second factor (routes/sign-in-steps).
    if (hasSecondFactor(factorsOf(db, user.id))) {
      startPendingSignIn(c, user.id, next ?? null);
      return c.redirect('/login/verify', 303);
    }
    completeSignIn(c, user);
    recordEvent(c, user.id, 'signed-in', 'with password');
    return c.redirect(next ?? '/write', 303);
  });

  app.post('/logout', (c) => {
    const session = c.var.session;
    if (session) deleteSession(c.var.deps.db, session.id);
    clearSessionCookie(c);
    return c.redirect('/login?signed_out=1', 303);
  });

  // ── Invites ────────────────────────────────────────────────────────────────
  app.use('/invite/*', async (c, next) => {
    await next();
    noStore(c);
  });

  app.get('/invite/:token', (c) => {
    const { db, clock } = c.var.deps;
    const token = c.req.param('token');
    const invite = findUsableInvite(db, token, clock.now());
    if (!invite) return renderPage(c, InviteInvalidPage({ chrome: chrome(c) }), 410);
    return renderPage(c, EnrolPage({ chrome: chrome(c), token, role: invite.role }));
  });

  app.post('/invite/:token', async (c) => {
    const { db, clock, throttles } = c.var.deps;
    const token = c.req.param('token');
    const byIp = throttles.enrolByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      return renderPage(
        c,
        EnrolPage({ chrome: chrome(c), token, role: 'writer', error: `Too many attempts from your network. Please wait ${describeWait(byIp.retryAfter)}.` }),
        429,
      );
    }
    const invite = findUsableInvite(db, token, clock.now());
    if (!invite) return renderPage(c, InviteInvalidPage({ chrome: chrome(c) }), 410);
    const form = await readForm(c);
    const name = checkDisplayName(form.display_name);
    if (name.error) {
      return renderPage(c, EnrolPage({ chrome: chrome(c), token, role: invite.role, displayName: name.value, error: name.error }), 400);
    }
    const enrolment = await redeemInvite(db, invite, name.value, clock.now());
    if (!enrolment) return renderPage(c, InviteInvalidPage({ chrome: chrome(c) }), 410);
    completeSignIn(c, enrolment.user);
    c.set('user', enrolment.user);
    return renderPage(
      c,
      CredentialsPage({
        chrome: chrome(c),
        username: enrolment.user.username,
        password: enrolment.password,
        displayName: enrolment.user.displayName,
        next: '/write',
        heading: `Welcome, ${enrolment.user.displayName}`,
        intro: 'Your account is ready and you are signed in. Quire created this username and password for you.',
      }),
    );
  });

  // The credentials page is a real form so password managers see a sign-up being submitted;
  // the person is already signed in, so this only moves them on.
  app.post('/welcome', async (c) => {
    const form = await readForm(c);
    return c.redirect(safeNext(form.next), 303);
  });

  return app;
}
