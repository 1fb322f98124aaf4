import { sql, type Db } from './database.js';

/** Replaces the account's codes with a new set; the old ones stop working in the same step. */
export function replaceRecoveryCodes(db: Db, userId: number, codeHashes: Buffer[], now: number): void {
  db.transaction(() => {
    deleteRecoveryCodes(db, userId);
    const insert = sql(db, 'INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)');
    for (const hash of codeHashes) insert.run(userId, hash, now);
  }).immediate();
}

/**
 * Uses up one code: true only for the one request that flips it from unused to used. The
 * check and the update are one statement, so a code cannot work twice, even in parallel.
 */
export function burnRecoveryCode(db: Db, userId: number, codeHash: Buffer, now: number): boolean {
  return sql(db, 'UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL').run(now, userId, codeHash)
    .changes === 1;
}

export function countUnusedRecoveryCodes(db: Db, userId: number): number {
  return (sql<[number], { n: number }>(db, 'SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').get(userId) as {
    n: number;
  }).n;
}

export function deleteRecoveryCodes(db: Db, userId: number): number {
  return sql(db, 'DELETE FROM recovery_codes WHERE user_id = ?').run(userId).changes;
}
