import { sql, type Db } from './database.js';

export interface Session {
  id: number;
  userId: number;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  authenticatedAt: number;
  browser: string;
}

interface SessionRow {
  id: number;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  authenticated_at: number;
  browser: string;
}

const COLUMNS = 'id, user_id, created_at, last_seen_at, expires_at, authenticated_at, browser';

function toSession(row: SessionRow | undefined): Session | null {
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    authenticatedAt: row.authenticated_at,
    browser: row.browser,
  };
}

export function insertSession(
  db: Db,
  s: { tokenHash: Buffer; userId: number; now: number; expiresAt: number; browser: string },
): number {
  const result = sql(
    db,
    'INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, authenticated_at, browser) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(s.tokenHash, s.userId, s.now, s.now, s.expiresAt, s.now, s.browser);
  return Number(result.lastInsertRowid);
}

export function getSessionByTokenHash(db: Db, tokenHash: Buffer): Session | null {
  return toSession(sql<[Buffer], SessionRow>(db, `SELECT ${COLUMNS} FROM sessions WHERE token_hash = ?`).get(tokenHash));
}

export function touchSession(db: Db, id: number, lastSeenAt: number, expiresAt: number): void {
  sql(db, 'UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?').run(lastSeenAt, expiresAt, id);
}

export function markSessionAuthenticated(db: Db, id: number, at: number): void {
  sql(db, 'UPDATE sessions SET authenticated_at = ? WHERE id = ?').run(at, id);
}

export function deleteSession(db: Db, id: number): void {
  sql(db, 'DELETE FROM sessions WHERE id = ?').run(id);
}

export function deleteUserSessions(db: Db, userId: number, exceptSessionId: number | null = null): number {
  return sql(db, 'DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?').run(userId, exceptSessionId).changes;
}

export function listUserSessions(db: Db, userId: number): Session[] {
  return sql<[number], SessionRow>(db, `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC`)
    .all(userId)
    .map((row) => toSession(row) as Session);
}

export function deleteExpiredSessions(db: Db, now: number, idleLimitMs: number): number {
  return sql(db, 'DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?').run(now, now - idleLimitMs).changes;
}
