// Signing in beyond the password: the second step (authenticator code or recovery code) and
// passkey sign-in, which needs no password at all.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import { authenticationOptions, parseCredentialJson, verifyPasskeyAssertion } from '../auth/passkeys.js';
import { describeWait } from '../auth/rate-limit.js';
import { normalizeRecoveryCode, useRecoveryCode } from '../auth/recovery-codes.js';
import {
  clearPendingCookie,
  codeThrottle,
  factorsOf,
  readPendingSignIn,
  recordCodeFailure,
  recordEvent,
} from '../auth/second-factor.js';
import { normalizeTotpCode, verifyUserTotp } from '../auth/totp.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { consumePendingSignIn, type PendingSignIn } from '../db/pending-sign-ins.js';
import { countUnusedRecoveryCodes } from '../db/recovery-codes.js';
import { getUserById, type User } from '../db/users.js';
import { chrome, clientIp, noStore, readForm, renderPage, safeNext } from '../lib/http.js';
import { LoginPage, SecondStepPage, type SecondStepPageProps } from '../../views/auth.js';
import { completeSignIn } from './auth.js';

type Found = { pending: PendingSignIn; user: User };

export function signInStepRoutes() {
  const app = new Hono<AppEnv>();
  app.use('/login/*', async (c, next) => {
    await next();
    noStore(c);
  });

  const stepPage = (c: Context<AppEnv>, found: Found, extra: Partial<SecondStepPageProps> = {}, status = 200) => {
    const factors = factorsOf(c.var.deps.db, found.user.id);
    return renderPage(
      c,
      SecondStepPage({
        chrome: chrome(c),
        displayName: found.user.displayName,
        totp: factors.totp,
        passkeys: factors.passkeys > 0,
        next: found.pending.next ?? undefined,
        ...extra,
      }),
      status,
    );
  };

  // Ten minutes passed, or the first step happened in another browser: start again, plainly.
  const startAgain = (c: Context<AppEnv>) => {
    clearPendingCookie(c);
    return renderPage(
      c,
      LoginPage({ chrome: chrome(c), error: 'That sign-in was not finished within 10 minutes. Please sign in again.' }),
      401,
    );
  };

  /** The second factor is proven: the pending sign-in becomes a session (once only). */
  const finish = (c: Context<AppEnv>, found: Found, how: string, to?: string) => {
    if (!consumePendingSignIn(c.var.deps.db, found.pending.id)) return startAgain(c);
    clearPendingCookie(c);
    completeSignIn(c, found.user);
    recordEvent(c, found.user.id, 'signed-in', how);
    return c.redirect(to ?? found.pending.next ?? '/write', 303);
  };

  app.get('/login/verify', (c) => {
    const found = readPendingSignIn(c);
    if (!found) return c.redirect('/login', 303);
    return stepPage(c, found);
  });

  app.post('/login/verify', async (c) => {
    const { db, config, clock } = c.var.deps;
    const found = readPendingSignIn(c);
    if (!found) return startAgain(c);
    const verdict = codeThrottle(db, found.user.id, clock.now());
    if (!verdict.ok) {
      c.header('Retry-After', String(verdict.retryAfter));
      return stepPage(
        c,
        found,
        {
          codeError: `There were too many wrong codes for this account, so codes are paused for ${describeWait(verdict.retryAfter)}. You can use a passkey or a recovery code instead.`,
        },
        429,
      );
    }
    const form = await readForm(c);
    const code = normalizeTotpCode(form.code);
    if (!code) return stepPage(c, found, { codeError: 'Type the 6 digits your authenticator app shows for this blog.' }, 400);
    if (!(await verifyUserTotp(db, config, found.user.id, code, clock.now()))) {
      recordCodeFailure(c, found.user.id);
      return stepPage(c, found, { codeError: 'That code is not right, or it was already used. Wait for the app to show the next one and type that.' }, 401);
    }
    return finish(c, found, 'with password and authenticator code');
  });

  app.post('/login/verify/recovery', async (c) => {
    const { db, clock, throttles } = c.var.deps;
    const found = readPendingSignIn(c);
    if (!found) return startAgain(c);
    const form = await readForm(c);
    const typed = (form.recovery_code ?? '').slice(0, 60);
    // Recovery codes carry 120 bits, so guessing is hopeless; the per-address limit only keeps
    // scripts from hammering the server. They are not counted with the authenticator codes, so a
    // writer can still get in with one while someone else has used up those attempts.
    const byIp = throttles.signInByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      return stepPage(c, found, { recoveryCode: typed, recoveryError: `Too many attempts from your network. Please wait ${describeWait(byIp.retryAfter)}.` }, 429);
    }
    if (!normalizeRecoveryCode(typed)) {
      return stepPage(
        c,
        found,
        { recoveryCode: typed, recoveryError: 'A recovery code has 24 letters and digits, in six groups of four, like 7K3Q-D9XH-M2PA-…' },
        400,
      );
    }
    if (!useRecoveryCode(db, found.user.id, typed, clock.now())) {
      return stepPage(c, found, { recoveryCode: typed, recoveryError: 'That recovery code is not right, or it was already used.' }, 401);
    }
    const left = countUnusedRecoveryCodes(db, found.user.id);
    recordEvent(c, found.user.id, 'recovery-code-used', `${left} left`);
    // The account page then says how many codes remain and suggests setting the factor up again.
    return finish(c, found, 'with password and a recovery code', '/account?recovery_code=used');
  });

  // ── Passkeys ───────────────────────────────────────────────────────────────

  app.post('/login/passkey/options', async (c) => {
    const { db, config, clock, throttles } = c.var.deps;
    const byIp = throttles.passkeyOptionsByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      return c.json({ error: 'busy', message: `Too many passkey requests from your network. Please wait ${describeWait(byIp.retryAfter)}.` }, 429);
    }
    const options = await authenticationOptions(db, config, 'sign-in', null, clock.now());
    if (!options) return c.json({ error: 'busy', message: 'Too many sign-in attempts right now. Please try again in a minute.' }, 429);
    return c.json(options);
  });

  app.post('/login/passkey', async (c) => {
    const { db, config, clock, throttles } = c.var.deps;
    const form = await readForm(c);
    const next = form.next ? safeNext(form.next) : undefined;
    const again = (status: 400 | 401 | 429, error: string) => renderPage(c, LoginPage({ chrome: chrome(c), next, error }), status);
    const byIp = throttles.signInByIp.take(clientIp(c));
    if (!byIp.ok) {
      c.header('Retry-After', String(byIp.retryAfter));
      return again(429, `Too many sign-in attempts from your network. Please wait ${describeWait(byIp.retryAfter)} and try again.`);
    }
    const response = parseCredentialJson<AuthenticationResponseJSON>(form.response);
    if (!response) return again(400, 'The passkey’s answer did not arrive complete. Please try again.');
    const result = await verifyPasskeyAssertion(db, config, response, 'sign-in', null, clock.now());
    if (!result.ok) {
      return again(
        401,
        'That passkey did not sign you in. It may have been removed from your account, or the request took longer than 5 minutes. Try again, or sign in with your password.',
      );
    }
    const user = getUserById(db, result.value.userId);
    if (!user) return again(401, 'That passkey’s account no longer exists.');
    // A passkey with user verification is both factors at once, so it also finishes a sign-in
    // that was waiting for its second step in this browser.
    const pending = readPendingSignIn(c);
    if (pending) consumePendingSignIn(db, pending.pending.id);
    clearPendingCookie(c);
    completeSignIn(c, user);
    const via = form.via === 'autofill' ? ', chosen from autofill' : '';
    recordEvent(c, user.id, 'signed-in', `with the passkey “${result.value.name}”${via}`);
    return c.redirect(next ?? pending?.pending.next ?? '/write', 303);
  });

  return app;
}
