import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { signedInRecently } from '../auth/recent-sign-in.js';
import { countPostsByUser } from '../db/account-data.js';
import { listPasskeys } from '../db/passkeys.js';
import { countUnusedRecoveryCodes } from '../db/recovery-codes.js';
import { listSecurityEvents } from '../db/security-events.js';
import { listUserSessions } from '../db/sessions.js';
import { isTotpEnabled } from '../db/totp.js';
import { chrome, renderPage } from '../lib/http.js';
import { AccountPage, type AccountPageProps } from '../../views/account.js';

/** Messages after post/redirect/get, by the ?done= key the action redirected with. */
const DONE: Record<string, string> = {
  'signed-out-device': 'That device is signed out.',
  'signed-out-others': 'Every other device is signed out.',
  password: 'Your new password is in use.',
  'totp-on': 'Your authenticator app is on. Quire will ask for a code after your password.',
  'totp-off': 'The authenticator app is off.',
  'totp-off-codes': 'The authenticator app is off. Your recovery codes were removed too, since you have no second factor left.',
  'passkey-added': 'Your passkey is added.',
  'passkey-renamed': 'The passkey is renamed.',
  'passkey-removed': 'The passkey is removed.',
  'passkey-removed-codes': 'The passkey is removed. Your recovery codes were removed too, since you have no second factor left.',
  'already-on': 'Your authenticator app is already on.',
};

/** The account page for the signed-in person, with whatever a handler adds (a message, an error). */
export function renderAccountPage(c: Context<AppEnv>, extra: Partial<AccountPageProps> = {}, status = 200) {
  const { db, clock } = c.var.deps;
  const user = c.var.user!;
  const session = c.var.session!;
  const done = c.req.query('done');
  return renderPage(
    c,
    AccountPage({
      chrome: chrome(c),
      user,
      currentSessionId: session.id,
      sessions: listUserSessions(db, user.id),
      totp: isTotpEnabled(db, user.id),
      passkeys: listPasskeys(db, user.id),
      recoveryCodesLeft: countUnusedRecoveryCodes(db, user.id),
      events: listSecurityEvents(db, user.id),
      postCount: countPostsByUser(db, user.id),
      recentlySignedIn: signedInRecently(session, clock.now()),
      message: done && DONE[done] ? { kind: 'success', text: DONE[done] } : undefined,
      reviewPasskeys: c.req.query('recovered') === 'link',
      recoveryCodeUsed: c.req.query('recovery_code') === 'used',
      ...extra,
    }),
    status,
  );
}
