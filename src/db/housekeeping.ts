// Rows that have done their job: nothing about a writer is kept longer than a feature needs.
import { DAY } from '../lib/clock.js';
import { sql, type Db } from './database.js';

/** Finished links stay a week, so "this link was already used" can still be told apart from a typo. */
export const FINISHED_LINK_RETENTION = 7 * DAY;
/** An authenticator-app setup nobody finished (no correct code) is dropped after a day. */
export const UNFINISHED_TOTP_RETENTION = DAY;

export interface Housekeeping {
  invites: number;
  recoveryLinks: number;
  totpSetups: number;
}

export function deleteFinishedSecrets(db: Db, now: number): Housekeeping {
  const before = now - FINISHED_LINK_RETENTION;
  const finished = `expires_at <= ? OR used_at <= ? OR revoked_at <= ?`;
  return db
    .transaction(() => ({
      invites: sql(db, `DELETE FROM invites WHERE ${finished}`).run(before, before, before).changes,
      recoveryLinks: sql(db, `DELETE FROM recovery_links WHERE ${finished}`).run(before, before, before).changes,
      totpSetups: sql(db, 'DELETE FROM totp_credentials WHERE enabled_at IS NULL AND created_at <= ?').run(now - UNFINISHED_TOTP_RETENTION).changes,
    }))
    .immediate();
}
