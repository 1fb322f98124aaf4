import { sql, type Db } from './database.js';

export interface PendingSignIn {
  id: number;
  userId: number;
  next: string | null;
  createdAt: number;
  expiresAt: number;
}

interface PendingRow {
  id: number;
  user_id: number;
  next: string | null;
  created_at: number;
  expires_at: number;
}

function toPending(row: PendingRow | undefined): PendingSignIn | null {
  if (!row) return null;
  return { id: row.id, userId: row.user_id, next: row.next, createdAt: row.created_at, expiresAt: row.expires_at };
}

export function insertPendingSignIn(db: Db, p: { tokenHash: Buffer; userId: number; next: string | null; now: number; expiresAt: number }): number {
  // Expired rows are swept on every insert, so the table never outgrows a few minutes of sign-ins.
  sql(db, 'DELETE FROM pending_sign_ins WHERE expires_at <= ?').run(p.now);
  const result = sql(db, 'INSERT INTO pending_sign_ins (token_hash, user_id, next, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    p.tokenHash,
    p.userId,
    p.next,
    p.now,
    p.expiresAt,
  );
  return Number(result.lastInsertRowid);
}

export function getPendingSignIn(db: Db, tokenHash: Buffer, now: number): PendingSignIn | null {
  return toPending(
    sql<[Buffer, number], PendingRow>(db, 'SELECT id, user_id, next, created_at, expires_at FROM pending_sign_ins WHERE token_hash = ? AND expires_at > ?').get(
      tokenHash,
      now,
    ),
  );
}

/** Ends a pending sign-in; true only for the one caller that removed it. */
export function consumePendingSignIn(db: Db, id: number): boolean {
  return sql(db, 'DELETE FROM pending_sign_ins WHERE id = ?').run(id).changes === 1;
}

export function deleteUserPendingSignIns(db: Db, userId: number): void {
  sql(db, 'DELETE FROM pending_sign_ins WHERE user_id = ?').run(userId);
}
