import type { Db } from '../db/database.js';
import { consumeInvite, getInviteByTokenHash, insertInvite, type Invite } from '../db/invites.js';
import { insertUser, usernameExists, type Role, type User } from '../db/users.js';
import { HOUR } from '../lib/clock.js';
import { generatePassword, hashPassword } from './password.js';
import { hashToken, randomToken } from './tokens.js';
import { generateUsername } from './usernames.js';

export const INVITE_LIFETIME = 72 * HOUR;

export interface CreatedInvite {
  id: number;
  token: string;
  link: string;
  role: Role;
  expiresAt: number;
}

export function createInvite(db: Db, publicUrl: string, role: Role, createdBy: number | null, now: number): CreatedInvite {
  // 160 bits from the CSPRNG; only its hash is stored.
  const token = randomToken(20);
  const expiresAt = now + INVITE_LIFETIME;
  const id = insertInvite(db, { tokenHash: hashToken(token), role, createdBy, createdAt: now, expiresAt });
  return { id, token, link: `${publicUrl}/invite/${token}`, role, expiresAt };
}

/** A usable invite for this token, or null (unknown, used, revoked or expired alike). */
export function findUsableInvite(db: Db, token: string, now: number): Invite | null {
  if (!/^[A-Za-z0-9_-]{27}$/.test(token)) return null;
  const invite = getInviteByTokenHash(db, hashToken(token));
  if (!invite || invite.usedAt !== null || invite.revokedAt !== null || invite.expiresAt <= now) return null;
  return invite;
}

export interface Enrolment {
  user: User;
  password: string;
}

/**
 * Creates the account an invite promises. The password is hashed first (slow), then the
 * user row and the invite's consumption commit together: if someone else used the link in
 * the meantime, nothing is created.
 */
export async function redeemInvite(db: Db, invite: Invite, displayName: string, now: number): Promise<Enrolment | null> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const create = db.transaction(() => {
    const username = generateUsername((candidate) => usernameExists(db, candidate));
    const user = insertUser(db, { username, displayName, role: invite.role, passwordHash, createdAt: now });
    if (!consumeInvite(db, invite.id, user.id, now)) throw new InviteAlreadyUsed();
    return user;
  });
  try {
    return { user: create.immediate(), password };
  } catch (error) {
    if (error instanceof InviteAlreadyUsed) return null;
    throw error;
  }
}

class InviteAlreadyUsed extends Error {}

/** Display names are bylines: printable, trimmed, 1–80 characters. */
export function checkDisplayName(raw: string | undefined): { value: string; error?: string } {
  const value = (raw ?? '').replace(/\s+/g, ' ').trim();
  if (!value) return { value, error: 'Please enter the name readers will see on your posts.' };
  if (value.length > 80) return { value, error: `That name is ${value.length} characters long; please keep it to 80.` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/.test(value)) {
    return { value, error: 'That name contains invisible or control characters; please type it again.' };
  }
  return { value };
}
