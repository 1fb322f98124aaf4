import { sql, type Db } from './database.js';
import type { Role } from './users.js';

export interface Invite {
  id: number;
  role: Role;
  createdBy: number | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

interface InviteRow {
  id: number;
  role: Role;
  created_by: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, role, created_by, created_at, expires_at, used_at, revoked_at';

function toInvite(row: InviteRow | undefined): Invite | null {
  if (!row) return null;
  return {
    id: row.id,
    role: row.role,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

export function insertInvite(
  db: Db,
  invite: { tokenHash: Buffer; role: Role; createdBy: number | null; createdAt: number; expiresAt: number },
): number {
  const result = sql(db, 'INSERT INTO invites (token_hash, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    invite.tokenHash,
    invite.role,
    invite.createdBy,
    invite.createdAt,
    invite.expiresAt,
  );
  return Number(result.lastInsertRowid);
}

export function getInviteByTokenHash(db: Db, tokenHash: Buffer): Invite | null {
  return toInvite(sql<[Buffer], InviteRow>(db, `SELECT ${COLUMNS} FROM invites WHERE token_hash = ?`).get(tokenHash));
}

/**
 * Marks the invite used if, and only if, it is still usable at `now`. The check and the
 * update are one statement, so two people racing with the same link cannot both succeed.
 */
export function consumeInvite(db: Db, inviteId: number, userId: number, now: number): boolean {
  const result = sql(
    db,
    'UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?',
  ).run(now, userId, inviteId, now);
  return result.changes === 1;
}

export function listPendingInvites(db: Db, now: number): Invite[] {
  return sql<[number], InviteRow>(
    db,
    `SELECT ${COLUMNS} FROM invites WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC`,
  )
    .all(now)
    .map((row) => toInvite(row) as Invite);
}

export function revokeInvite(db: Db, inviteId: number, now: number): boolean {
  return sql(db, 'UPDATE invites SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL').run(now, inviteId).changes === 1;
}

/**
 * Setup links are owner invites nobody created, made at start while there are no accounts;
 * a new start supersedes the previous one. (Writer invites from the CLI are left alone.)
 */
export function revokePendingSetupInvites(db: Db, now: number): void {
  sql(db, "UPDATE invites SET revoked_at = ? WHERE created_by IS NULL AND role = 'owner' AND used_at IS NULL AND revoked_at IS NULL").run(now);
}
