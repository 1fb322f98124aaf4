import { sql, type Db } from './database.js';

export function recordSecondFactorFailure(db: Db, userId: number, now: number, windowMs: number): void {
  // Old entries are dropped as new ones come, so each account keeps one window's worth at most.
  sql(db, 'DELETE FROM second_factor_failures WHERE user_id = ? AND at <= ?').run(userId, now - windowMs);
  sql(db, 'INSERT INTO second_factor_failures (user_id, at) VALUES (?, ?)').run(userId, now);
}

/** Failures inside the window, oldest first. */
export function recentSecondFactorFailures(db: Db, userId: number, now: number, windowMs: number): number[] {
  return sql<[number, number], { at: number }>(db, 'SELECT at FROM second_factor_failures WHERE user_id = ? AND at > ? ORDER BY at')
    .all(userId, now - windowMs)
    .map((row) => row.at);
}

export function clearSecondFactorFailures(db: Db, userId: number): void {
  sql(db, 'DELETE FROM second_factor_failures WHERE user_id = ?').run(userId);
}
