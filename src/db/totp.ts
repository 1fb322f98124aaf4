import { sql, type Db } from './database.js';

export interface TotpCredential {
  userId: number;
  /** Encrypted (src/auth/encryption.ts); decrypt with the user id as associated data. */
  secret: Buffer;
  createdAt: number;
  /** null while the enrolment waits for its first correct code. */
  enabledAt: number | null;
  lastTimeStep: number | null;
}

interface TotpRow {
  user_id: number;
  secret: Buffer;
  created_at: number;
  enabled_at: number | null;
  last_time_step: number | null;
}

function toCredential(row: TotpRow | undefined): TotpCredential | null {
  if (!row) return null;
  return { userId: row.user_id, secret: row.secret, createdAt: row.created_at, enabledAt: row.enabled_at, lastTimeStep: row.last_time_step };
}

export function getTotpCredential(db: Db, userId: number): TotpCredential | null {
  return toCredential(
    sql<[number], TotpRow>(db, 'SELECT user_id, secret, created_at, enabled_at, last_time_step FROM totp_credentials WHERE user_id = ?').get(userId),
  );
}

export function isTotpEnabled(db: Db, userId: number): boolean {
  return sql<[number]>(db, 'SELECT 1 FROM totp_credentials WHERE user_id = ? AND enabled_at IS NOT NULL').get(userId) !== undefined;
}

/** Starts (or restarts) an enrolment; never replaces an authenticator that is already on. */
export function savePendingTotp(db: Db, userId: number, secret: Buffer, now: number): boolean {
  const result = sql(
    db,
    `INSERT INTO totp_credentials (user_id, secret, created_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, last_time_step = NULL
     WHERE totp_credentials.enabled_at IS NULL`,
  ).run(userId, secret, now);
  return result.changes === 1;
}

/**
 * Records an accepted code's time step, if and only if it is later than the last accepted one.
 * Check and update are one statement, so two requests racing with the same code cannot both win.
 * With `enable`, a pending enrolment is switched on in the same step.
 */
export function acceptTimeStep(db: Db, userId: number, timeStep: number, now: number, enable = false): boolean {
  const result = sql(
    db,
    `UPDATE totp_credentials SET last_time_step = ?, enabled_at = CASE WHEN ? THEN coalesce(enabled_at, ?) ELSE enabled_at END
     WHERE user_id = ? AND (last_time_step IS NULL OR last_time_step < ?) AND (enabled_at IS NOT NULL OR ?)`,
  ).run(timeStep, enable ? 1 : 0, now, userId, timeStep, enable ? 1 : 0);
  return result.changes === 1;
}

/** After a key rotation: the same secret, encrypted with the current key. */
export function replaceTotpSecret(db: Db, userId: number, secret: Buffer): void {
  sql(db, 'UPDATE totp_credentials SET secret = ? WHERE user_id = ?').run(secret, userId);
}

export function deleteTotpCredential(db: Db, userId: number): boolean {
  return sql(db, 'DELETE FROM totp_credentials WHERE user_id = ?').run(userId).changes === 1;
}
