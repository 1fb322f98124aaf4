import { sql, type Db } from './database.js';

export interface RecoveryLink {
  id: number;
  userId: number;
  createdBy: number | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

interface RecoveryLinkRow {
  id: number;
  user_id: number;
  created_by: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, user_id, created_by, created_at, expires_at, used_at, revoked_at';

function toLink(row: RecoveryLinkRow | undefined): RecoveryLink | null {
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

/** A new link replaces any earlier pending one for the same account: only the latest works. */
export function insertRecoveryLink(
  db: Db,
  link: { tokenHash: Buffer; userId: number; createdBy: number | null; createdAt: number; expiresAt: number },
): number {
  return db.transaction(() => {
    revokePendingRecoveryLinks(db, link.userId, link.createdAt);
    const result = sql(db, 'INSERT INTO recovery_links (token_hash, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      link.tokenHash,
      link.userId,
      link.createdBy,
      link.createdAt,
      link.expiresAt,
    );
    return Number(result.lastInsertRowid);
  }).immediate();
}

export function getRecoveryLinkByTokenHash(db: Db, tokenHash: Buffer): RecoveryLink | null {
  return toLink(sql<[Buffer], RecoveryLinkRow>(db, `SELECT ${COLUMNS} FROM recovery_links WHERE token_hash = ?`).get(tokenHash));
}

/** Marks the link used if it is still usable at `now`; one statement, so it works exactly once. */
export function consumeRecoveryLink(db: Db, id: number, now: number): boolean {
  return sql(db, 'UPDATE recovery_links SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?').run(
    now,
    id,
    now,
  ).changes === 1;
}

export function revokePendingRecoveryLinks(db: Db, userId: number, now: number): number {
  return sql(db, 'UPDATE recovery_links SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL').run(now, userId).changes;
}

export function revokeRecoveryLink(db: Db, id: number, now: number): RecoveryLink | null {
  const row = sql<[number, number], RecoveryLinkRow>(
    db,
    `UPDATE recovery_links SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL RETURNING ${COLUMNS}`,
  ).get(now, id);
  return toLink(row);
}

/** Links that still work, newest first, one per account at most. */
export function listPendingRecoveryLinks(db: Db, now: number): RecoveryLink[] {
  return sql<[number], RecoveryLinkRow>(
    db,
    `SELECT ${COLUMNS} FROM recovery_links WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC`,
  )
    .all(now)
    .map((row) => toLink(row) as RecoveryLink);
}
