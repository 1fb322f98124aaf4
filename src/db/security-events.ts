import { sql, type Db } from './database.js';

export type SecurityEventType =
  | 'signed-in'
  | 'sign-in-failures'
  | 'second-factor-failures'
  | 'password-renewed'
  | 'totp-enabled'
  | 'totp-disabled'
  | 'passkey-added'
  | 'passkey-removed'
  | 'recovery-codes-created'
  | 'recovery-code-used'
  | 'recovery-link-issued'
  | 'recovery-link-used'
  | 'sessions-ended'
  | 'role-changed';

export interface SecurityEvent {
  id: number;
  userId: number;
  type: SecurityEventType;
  detail: string;
  browser: string;
  createdAt: number;
}

interface EventRow {
  id: number;
  user_id: number;
  type: SecurityEventType;
  detail: string;
  browser: string;
  created_at: number;
}

/** How long events are kept: long enough to notice something odd, short enough not to hoard. */
export const SECURITY_EVENT_RETENTION = 365 * 24 * 60 * 60_000;

export function insertSecurityEvent(db: Db, e: { userId: number; type: SecurityEventType; detail?: string; browser?: string; now: number }): void {
  sql(db, 'DELETE FROM security_events WHERE user_id = ? AND created_at < ?').run(e.userId, e.now - SECURITY_EVENT_RETENTION);
  sql(db, 'INSERT INTO security_events (user_id, type, detail, browser, created_at) VALUES (?, ?, ?, ?, ?)').run(
    e.userId,
    e.type,
    e.detail ?? '',
    e.browser ?? '',
    e.now,
  );
}

export function listSecurityEvents(db: Db, userId: number, limit = 30): SecurityEvent[] {
  return sql<[number, number], EventRow>(
    db,
    'SELECT id, user_id, type, detail, browser, created_at FROM security_events WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
  )
    .all(userId, limit)
    .map((row) => ({ id: row.id, userId: row.user_id, type: row.type, detail: row.detail, browser: row.browser, createdAt: row.created_at }));
}

/** The latest event of a type since `since`, to avoid recording the same burst twice. */
export function hasSecurityEventSince(db: Db, userId: number, type: SecurityEventType, since: number): boolean {
  return sql<[number, string, number]>(db, 'SELECT 1 FROM security_events WHERE user_id = ? AND type = ? AND created_at >= ? LIMIT 1').get(
    userId,
    type,
    since,
  ) !== undefined;
}
