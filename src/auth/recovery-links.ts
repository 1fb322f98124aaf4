// The way back in when a writer has lost everything: an owner confirms who they are outside
// Quire (a call, a meeting) and issues a one-time link; opening it gives the writer a new
// generated password and clears everything an attacker might have set up in the meantime.
import type { Db } from '../db/database.js';
import { deleteUserPendingSignIns } from '../db/pending-sign-ins.js';
import { deleteRecoveryCodes } from '../db/recovery-codes.js';
import { consumeRecoveryLink, getRecoveryLinkByTokenHash, insertRecoveryLink, type RecoveryLink } from '../db/recovery-links.js';
import { clearSecondFactorFailures } from '../db/second-factor-failures.js';
import { insertSecurityEvent } from '../db/security-events.js';
import { deleteUserSessions } from '../db/sessions.js';
import { deleteTotpCredential } from '../db/totp.js';
import { getUserById, updatePasswordHash, type User } from '../db/users.js';
import { HOUR } from '../lib/clock.js';
import { generatePassword, hashPassword } from './password.js';
import { hashToken, randomToken } from './tokens.js';

/** A day: time to get the link to the writer, short enough that a forgotten one soon dies. */
export const RECOVERY_LINK_LIFETIME = 24 * HOUR;

export interface IssuedRecoveryLink {
  id: number;
  link: string;
  expiresAt: number;
}

/** A new link for `userId` (an earlier pending one stops working). Recorded on the writer's account. */
export function issueRecoveryLink(
  db: Db,
  publicUrl: string,
  user: Pick<User, 'id'>,
  issuer: Pick<User, 'id' | 'displayName'> | null,
  now: number,
  browser = '',
): IssuedRecoveryLink {
  // 160 bits from the CSPRNG, like invites; only the hash is stored.
  const token = randomToken(20);
  const expiresAt = now + RECOVERY_LINK_LIFETIME;
  const id = insertRecoveryLink(db, { tokenHash: hashToken(token), userId: user.id, createdBy: issuer?.id ?? null, createdAt: now, expiresAt });
  insertSecurityEvent(db, {
    userId: user.id,
    type: 'recovery-link-issued',
    detail: issuer ? `by ${issuer.displayName}` : 'by the host, on the command line',
    browser,
    now,
  });
  return { id, link: `${publicUrl}/recover/${token}`, expiresAt };
}

/** A usable link for this token, or null (unknown, used, revoked and expired alike). */
export function findUsableRecoveryLink(db: Db, token: string, now: number): RecoveryLink | null {
  if (!/^[A-Za-z0-9_-]{27}$/.test(token)) return null;
  const link = getRecoveryLinkByTokenHash(db, hashToken(token));
  if (!link || link.usedAt !== null || link.revokedAt !== null || link.expiresAt <= now) return null;
  return link;
}

export interface Recovery {
  user: User;
  password: string;
}

/**
 * Uses the link: a new password, every session signed out, authenticator app and recovery codes
 * removed (whoever caused the trouble may hold them). Passkeys stay, to be reviewed by the writer:
 * they cannot be copied off a device, and removing them is one click once signed in.
 * All of it commits together with the link's consumption, or none of it does.
 */
export async function redeemRecoveryLink(db: Db, link: RecoveryLink, now: number): Promise<Recovery | null> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const recover = db.transaction(() => {
    if (!consumeRecoveryLink(db, link.id, now)) return null;
    const user = getUserById(db, link.userId);
    if (!user) return null;
    updatePasswordHash(db, user.id, passwordHash);
    deleteUserSessions(db, user.id);
    deleteUserPendingSignIns(db, user.id);
    deleteTotpCredential(db, user.id);
    deleteRecoveryCodes(db, user.id);
    clearSecondFactorFailures(db, user.id);
    return { ...user, passwordHash };
  });
  const user = recover.immediate();
  return user ? { user, password } : null;
}
