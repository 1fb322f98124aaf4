// Second factors on the account page: authenticator app, passkeys and recovery codes.
// Everything that adds or removes a way in needs a recent sign-in (requireRecentSignIn).
import { Hono, type Context } from 'hono';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AppEnv } from '../context.js';
import { cleanPasskeyName, parseCredentialJson, registerPasskey, registrationOptions } from '../auth/passkeys.js';
import { describeWait } from '../auth/rate-limit.js';
import { requireRecentSignIn } from '../auth/recent-sign-in.js';
import { issueRecoveryCodes, normalizeRecoveryCode, useRecoveryCode } from '../auth/recovery-codes.js';
import { clearCodeFailures, codeThrottle, factorsOf, hasSecondFactor, recordCodeFailure, recordEvent } from '../auth/second-factor.js';
import { describeBrowser } from '../auth/session.js';
import { groupSecret, normalizeTotpCode, qrCodeSvg, readTotpSecret, startTotpEnrolment, totpUri, verifyUserTotp } from '../auth/totp.js';
import { deletePasskey, getUserPasskey, renamePasskey } from '../db/passkeys.js';
import { deleteRecoveryCodes } from '../db/recovery-codes.js';
import { deleteTotpCredential } from '../db/totp.js';
import { chrome, readForm, renderPage } from '../lib/http.js';
import { RecoveryCodesPage, TotpDisablePage, TotpSetupPage } from '../../views/account-factors.js';
import { renderAccountPage } from './account-page.js';

export function accountFactorRoutes() {
  const app = new Hono<AppEnv>();

  /**
   * After the first second factor is turned on (or when asked), a fresh set of recovery codes,
   * shown once. Without them, losing the phone or passkey would mean asking an owner for help.
   */
  const showNewRecoveryCodes = (c: Context<AppEnv>, reason: string) => {
    const { db, clock } = c.var.deps;
    const user = c.var.user!;
    const codes = issueRecoveryCodes(db, user.id, clock.now());
    recordEvent(c, user.id, 'recovery-codes-created');
    const frame = chrome(c);
    return renderPage(c, RecoveryCodesPage({ chrome: frame, codes, reason, siteTitle: frame.siteTitle, username: user.username }));
  };

  /** After a factor is removed: with none left, recovery codes have nothing to stand in for. */
  const dropCodesIfNoFactorLeft = (c: Context<AppEnv>): boolean => {
    const { db } = c.var.deps;
    const userId = c.var.user!.id;
    if (hasSecondFactor(factorsOf(db, userId))) return false;
    return deleteRecoveryCodes(db, userId) > 0;
  };

  // ── Authenticator app (TOTP) ────────────────────────────────────────────────
  app.post('/account/totp/start', requireRecentSignIn, (c) => {
    const { db, config, clock } = c.var.deps;
    const secret = startTotpEnrolment(db, config, c.var.user!.id, clock.now());
    return c.redirect(secret ? '/account/totp/setup' : '/account?done=already-on', 303);
  });

  const setupPage = (c: Context<AppEnv>, secret: string, extra: { code?: string; error?: string } = {}, status = 200) => {
    const frame = chrome(c);
    const uri = totpUri(secret, frame.siteTitle, c.var.user!.username);
    return renderPage(c, TotpSetupPage({ chrome: frame, qrSvg: qrCodeSvg(uri), secret: groupSecret(secret), ...extra }), status);
  };

  app.get('/account/totp/setup', requireRecentSignIn, (c) => {
    const { db, config } = c.var.deps;
    const stored = readTotpSecret(db, config, c.var.user!.id);
    if (!stored || stored.enabled) return c.redirect('/account', 303);
    return setupPage(c, stored.secret);
  });

  app.post('/account/totp/setup', requireRecentSignIn, async (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    const stored = readTotpSecret(db, config, user.id);
    if (!stored || stored.enabled) return c.redirect('/account', 303);
    const form = await readForm(c);
    const typed = (form.code ?? '').slice(0, 20);
    const code = normalizeTotpCode(typed);
    if (!code) return setupPage(c, stored.secret, { code: typed, error: 'Type the 6 digits the app shows (spaces are fine).' }, 400);
    // TOTP turns on only after a correct code: proof that the app really holds the secret.
    if (!(await verifyUserTotp(db, config, user.id, code, clock.now(), { enrolment: true }))) {
      return setupPage(
        c,
        stored.secret,
        { code: typed, error: 'That code is not right. Wait for the app to show a new code and type that; if it still fails, check that your phone’s clock is set automatically.' },
        400,
      );
    }
    recordEvent(c, user.id, 'totp-enabled');
    if (factorsOf(db, user.id).recoveryCodesLeft === 0) {
      return showNewRecoveryCodes(c, 'Your authenticator app is on. From now on Quire asks for a code from it after your password.');
    }
    return c.redirect('/account?done=totp-on', 303);
  });

  app.get('/account/totp/disable', requireRecentSignIn, (c) => {
    if (!factorsOf(c.var.deps.db, c.var.user!.id).totp) return c.redirect('/account', 303);
    return renderPage(c, TotpDisablePage({ chrome: chrome(c) }));
  });

  // Turning it off needs the app itself (a current code) or a recovery code, not only a recent
  // sign-in: someone with the password and a stolen session must not be able to remove it.
  app.post('/account/totp/disable', requireRecentSignIn, async (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    if (!factorsOf(db, user.id).totp) return c.redirect('/account', 303);
    const form = await readForm(c);
    const typed = (form.code ?? '').slice(0, 60);
    const page = (error: string, status: number) => renderPage(c, TotpDisablePage({ chrome: chrome(c), code: typed, error }), status);
    let proven: boolean;
    if (normalizeTotpCode(typed)) {
      const verdict = codeThrottle(db, user.id, clock.now());
      if (!verdict.ok) {
        c.header('Retry-After', String(verdict.retryAfter));
        return page(`Too many wrong codes. Please wait ${describeWait(verdict.retryAfter)}, or use a recovery code.`, 429);
      }
      proven = await verifyUserTotp(db, config, user.id, typed, clock.now());
      if (!proven) recordCodeFailure(c, user.id);
    } else if (normalizeRecoveryCode(typed)) {
      proven = useRecoveryCode(db, user.id, typed, clock.now());
      if (proven) recordEvent(c, user.id, 'recovery-code-used', 'to turn off the authenticator app');
    } else {
      return page('Type the 6-digit code from your app, or a recovery code (24 letters and digits).', 400);
    }
    if (!proven) return page('That code is not right, or it was already used.', 401);
    deleteTotpCredential(db, user.id);
    clearCodeFailures(db, user.id);
    recordEvent(c, user.id, 'totp-disabled');
    return c.redirect(dropCodesIfNoFactorLeft(c) ? '/account?done=totp-off-codes' : '/account?done=totp-off', 303);
  });

  // ── Recovery codes ──────────────────────────────────────────────────────────
  app.post('/account/recovery-codes', requireRecentSignIn, (c) => {
    const { db } = c.var.deps;
    if (!hasSecondFactor(factorsOf(db, c.var.user!.id))) return c.redirect('/account', 303);
    return showNewRecoveryCodes(c, 'Here is your new set of recovery codes. The old ones no longer work.');
  });

  // ── Passkeys ────────────────────────────────────────────────────────────────
  app.post('/account/passkeys/options', requireRecentSignIn, async (c) => {
    const { db, config, clock } = c.var.deps;
    return c.json(await registrationOptions(db, config, c.var.user!, chrome(c).siteTitle, clock.now()));
  });

  app.post('/account/passkeys', requireRecentSignIn, async (c) => {
    const { db, config, clock } = c.var.deps;
    const user = c.var.user!;
    const form = await readForm(c);
    const name = cleanPasskeyName(form.name, describeBrowser(c.req.header('user-agent')));
    const failed = (text: string) => renderAccountPage(c, { message: { kind: 'error', text } }, 400);
    if (name.error) return failed(`The passkey was not added: ${name.error}`);
    const response = parseCredentialJson<RegistrationResponseJSON>(form.response);
    if (!response) return failed('The passkey was not added: your browser’s answer did not arrive complete. Please try again.');
    const result = await registerPasskey(db, config, user.id, response, name.value, clock.now());
    if (!result.ok) {
      return failed(
        result.reason === 'already registered'
          ? 'That passkey is already on an account here.'
          : 'The passkey was not added: the request may have taken longer than 5 minutes. Please try again.',
      );
    }
    recordEvent(c, user.id, 'passkey-added', result.value.name);
    if (factorsOf(db, user.id).recoveryCodesLeft === 0) {
      return showNewRecoveryCodes(c, `Your passkey “${result.value.name}” is added. From now on, signing in with your password also asks for it.`);
    }
    return c.redirect('/account?done=passkey-added', 303);
  });

  app.post('/account/passkeys/:id/rename', async (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const passkey = getUserPasskey(db, user.id, Number(c.req.param('id')));
    if (!passkey) return c.redirect('/account', 303);
    const form = await readForm(c);
    const name = cleanPasskeyName(form.name, '');
    if (name.error || !name.value) {
      return renderAccountPage(c, { rename: { passkeyId: passkey.id, value: name.value, error: name.error ?? 'Please give the passkey a name.' } }, 400);
    }
    renamePasskey(db, user.id, passkey.id, name.value);
    return c.redirect('/account?done=passkey-renamed', 303);
  });

  app.post('/account/passkeys/:id/delete', requireRecentSignIn, (c) => {
    const { db } = c.var.deps;
    const user = c.var.user!;
    const passkey = getUserPasskey(db, user.id, Number(c.req.param('id')));
    if (!passkey || !deletePasskey(db, user.id, passkey.id)) return c.redirect('/account', 303);
    recordEvent(c, user.id, 'passkey-removed', passkey.name);
    return c.redirect(dropCodesIfNoFactorLeft(c) ? '/account?done=passkey-removed-codes' : '/account?done=passkey-removed', 303);
  });

  return app;
}
