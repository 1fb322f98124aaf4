// The writer's own account: what it is, how they sign in, where they are signed in, what
// happened to it, and leaving. Also mounts the routes for the second sign-in step, passkey
// sign-in and recovery links, so app.ts mounts everything about account security in one line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AppEnv } from '../context.js';
import { generatePassword, hashPassword, verifyPassword } from '../auth/password.js';
import { authenticationOptions, parseCredentialJson, verifyPasskeyAssertion } from '../auth/passkeys.js';
import { describeWait } from '../auth/rate-limit.js';
import { requireRecentSignIn, signedInRecently } from '../auth/recent-sign-in.js';
import { codeThrottle, factorsOf, recordCodeFailure, recordEvent } from '../auth/second-factor.js';
import { normalizeTotpCode, verifyUserTotp } from '../auth/totp.js';
import { countPostsByUser, deleteAccount, listPostsForExport } from '../db/account-data.js';
import { deleteUserPendingSignIns } from '../db/pending-sign-ins.js';
import { deleteSession, deleteUserSessions, listUserSessions, markSessionAuthenticated } from '../db/sessions.js';
import { getSettings } from '../db/settings.js';
import { listUsers, updatePasswordHash } from '../db/users.js';
import { buildAccountExport } from '../lib/account-export.js';
import { mediaDirectory } from '../lib/media-store.js';
import { chrome, clearSessionCookie, readForm, renderPage, safeNext } from '../lib/http.js';
import { logInfo } from '../lib/log.js';
import { AccountDeletedPage, ConfirmPage, DeleteAccountPage, type DeleteAccountPageProps } from '../../views/account.js';
import { CredentialsPage } from '../../views/auth.js';
import { accountFactorRoutes } from './account-factors.js';
import { renderAccountPage } from './account-page.js';
import { requireUser } from './guards.js';
import { recoverRoutes } from './recover.js';
import { signInStepRoutes } from './sign-in-steps.js';

export function accountRoutes() {
  const app = new Hono<AppEnv>();
  app.route('/', signInStepRoutes());
  app.route('/', recoverRoutes());

  app.use('/account', requireUser);
  app.use('/account/*', requireUser);
  app.route('/', accountFactorRoutes());

  app.get('/account', (c) => renderAccountPage(c));

  // ── Confirming it is you (the recent-sign-in rule) ────────────────────────
  const confirmPage = (c: Context<AppEnv>, next: string, error?: string, status = 200) => {
    const user = c.var.user!;
    const factors = factorsOf(c.var.deps.db, user.id);
    return renderPage(
      c,
      ConfirmPage({ chrome: chrome(c), username: user.username, next, totp: factors.totp, passkeys: factors.passkeys > 0, error }),
      status,
    );
  };
  const confirmed = (c: Context<AppEnv>, next: string) => {
    const { db, clock } = c.var.deps;
    markSessionAuthenticated(db, c.var.session!.id, clock.now());
    return c.redirect(next, 303);
  };

  app.get('/account/confirm', (c) => {
    const next = safeNext(c.req.query('next'), '/account');
    if (signedInRecently(c.var.session, c.var.deps.clock.now())) return c.redirect(next, 303);
    return confirmPage(c, next);
  });

  app.post('/account/confirm', async (c) => {
    const { db, config, clock, throttles } = c.var.deps;
    const user = c.var.user!;
    const form = await readForm(c);
    const next = safeNext(form.next, '/account');
    if (form.code !== undefined && form.password === undefined) {
      const verdict = codeThrottle(db, user.id, clock.now());
      if (!verdict.ok) {
        c.header('Retry-After', String(verdict.retryAfter));
        return confirmPage(c, next, `Too many wrong codes. Please wait ${describeWait(verdict.retryAfter)}, or confirm with your password.`, 429);
      }
      const code = normalizeTotpCode(form.code);
      if (!code) return confirmPage(c, next, 'Type the 6 digits your authenticator app shows.', 400);
      if (!(await verifyUserTotp(db, config, user.id, code, clock.now()))) {
        recordCodeFailure(c, user.id);
        return confirmPage(c, next, 'That code is not right, or it was already used. Wait for the next one and try again.', 401);
      }
      return confirmed(c, next);
    }
    const password = (form.password ?? '').slice(0, 200);
    if (!password) return confirmPage(c, next, 'Enter your password (your browser’s password manager can fill it in).', 400);
    // Same growing delays as sign-in, on a key of their own: someone at an unlocked session
    // cannot guess the password quickly, and the writer's sign-ins elsewhere are unaffected.
    const key = `confirm:${user.id}`;
    const delay = throttles.signInFailures.check(key);
    if (!delay.ok) {
      c.header('Retry-After', String(delay.retryAfter));
      return confirmPage(c, next, `Several wrong passwords: please wait ${describeWait(delay.retryAfter)} and try again.`, 429);
    }
    const result = await verifyPassword(user.passwordHash, password);
    if (!result.ok) {
      throttles.signInFailures.fail(key);
      return confirmPage(c, next, 'That password is not right. Check it in your password manager and try again.', 401);
    }
    throttles.signInFailures.succeed(key);
    if (result.rehash) updatePasswordHash(db, user.id, result.rehash);
    return confirmed(c, next);
  });

  app.post('/account/confirm/passkey/options', async (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    if (factorsOf(db, user.id).passkeys === 0) return c.json({ error: 'no-passkeys', message: 'Your account has no passkeys.' }, 400);
    return c.json(await authenticationOptions(db, config, 'confirm', user.id, clock.now()));
  });

  app.post('/account/confirm/passkey', async (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    const form = await readForm(c);
    const next = safeNext(form.next, '/account');
    const response = parseCredentialJson<AuthenticationResponseJSON>(form.response);
    if (!response) return confirmPage(c, next, 'The passkey’s answer did not arrive complete. Please try again.', 400);
    const result = await verifyPasskeyAssertion(db, config, response, 'confirm', user.id, clock.now());
    if (!result.ok) return confirmPage(c, next, 'That passkey did not confirm it is you. Try again, or use your password.', 401);
    return confirmed(c, next);
  });

  // ── Devices ──────────────────────────────────────────────────────────────
  app.post('/account/sessions/:id/end', (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const id = Number(c.req.param('id'));
    // Only this person's own sessions, and never the current one (that is "Sign out").
    const target = listUserSessions(db, user.id).find((s) => s.id === id && s.id !== c.var.session!.id);
    if (target) {
      deleteSession(db, target.id);
      recordEvent(c, user.id, 'sessions-ended', target.browser);
    }
    return c.redirect('/account?done=signed-out-device', 303);
  });

  app.post('/account/sessions/end-others', (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const ended = deleteUserSessions(db, user.id, c.var.session!.id);
    if (ended > 0) recordEvent(c, user.id, 'sessions-ended', `${ended} device${ended === 1 ? '' : 's'}`);
    return c.redirect('/account?done=signed-out-others', 303);
  });

  // ── New password ─────────────────────────────────────────────────────────
  app.post('/account/password', requireRecentSignIn, async (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    db.transaction(() => {
      updatePasswordHash(db, user.id, passwordHash);
      // Whoever might know the old password is signed out everywhere but here.
      deleteUserSessions(db, user.id, c.var.session!.id);
      deleteUserPendingSignIns(db, user.id);
    }).immediate();
    recordEvent(c, user.id, 'password-renewed');
    // Shown once and handed to the password manager exactly like at enrolment.
    return renderPage(
      c,
      CredentialsPage({
        chrome: chrome(c),
        username: user.username,
        password,
        displayName: user.displayName,
        next: '/account?done=password',
        heading: 'Your new password',
        intro: 'Quire made a new password for you. Your old one no longer works, and your other devices were signed out.',
      }),
    );
  });

  // ── Leaving ──────────────────────────────────────────────────────────────
  app.get('/account/export', (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    const settings = getSettings(db);
    const archive = buildAccountExport(
      user,
      listPostsForExport(db, user.id),
      { title: settings.title, language: settings.language, publicUrl: config.publicUrl },
      clock.now(),
      (name) => {
        try {
          return readFileSync(path.join(mediaDirectory(config.dataDir), name));
        } catch {
          return null; // cleaned up since: the export goes on without it
        }
      },
    );
    c.header('Content-Type', 'application/zip');
    c.header('Content-Disposition', `attachment; filename="${archive.filename}"`);
    c.header('Cache-Control', 'no-store');
    return c.body(new Uint8Array(archive.data));
  });

  const deletePage = (c: Context<AppEnv>, extra: Partial<DeleteAccountPageProps> = {}, status = 200) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const owners = listUsers(db).filter((u) => u.role === 'owner' && u.id !== user.id);
    return renderPage(
      c,
      DeleteAccountPage({
        chrome: chrome(c),
        postCount: countPostsByUser(db, user.id),
        owners,
        lastOwner: user.role === 'owner' && owners.length === 0,
        username: user.username,
        ...extra,
      }),
      status,
    );
  };

  app.get('/account/delete', requireRecentSignIn, (c) => deletePage(c));

  app.post('/account/delete', requireRecentSignIn, async (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const form = await readForm(c);
    const values = { posts: form.posts, heir: form.heir, confirm: (form.confirm ?? '').slice(0, 100) };
    const errors: NonNullable<DeleteAccountPageProps['errors']> = {};
    if (values.posts !== 'delete' && values.posts !== 'hand') errors.posts = 'Choose what happens to your posts.';
    const heir = values.posts === 'hand' ? listUsers(db).find((u) => u.role === 'owner' && u.id !== user.id && String(u.id) === values.heir) : undefined;
    if (values.posts === 'hand' && !heir) errors.heir = 'Choose the owner who receives your posts.';
    if (values.confirm.trim().toLowerCase() !== user.username.toLowerCase()) {
      errors.confirm = `Type your username, ${user.username}, exactly as shown.`;
    }
    if (Object.keys(errors).length > 0) return deletePage(c, { values, errors }, 400);

    const outcome = deleteAccount(db, user.id, heir?.id ?? null);
    if (outcome === 'last-owner') return deletePage(c, { lastOwner: true }, 409);
    if (outcome !== 'deleted') return deletePage(c, { values, errors: { form: 'That did not work: the owner you chose is no longer an owner. Choose again.' } }, 400);
    logInfo(`Account ${user.username} was deleted by its writer; posts ${heir ? `handed to ${heir.username}` : 'deleted'}.`);
    clearSessionCookie(c);
    c.set('user', null);
    c.set('session', null);
    return renderPage(c, AccountDeletedPage({ chrome: chrome(c), postsHandedTo: heir?.displayName ?? null }));
  });

  return app;
}
