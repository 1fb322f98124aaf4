import type { Db } from './db/database.js';
import { deleteFinishedSecrets } from './db/housekeeping.js';
import { publishDuePosts, purgeTrash } from './db/posts.js';
import { deleteExpiredSessions } from './db/sessions.js';
import type { Clock } from './lib/clock.js';
import { logError } from './lib/log.js';
import { cleanUpMedia } from './lib/media-store.js';
import { startScheduledBackups } from './ops/backup.js';
import { SESSION_IDLE_LIMIT } from './auth/session.js';

export interface JobDeps {
  db: Db;
  clock: Clock;
  /** Where the media files live; without it, unused pictures are not cleaned up. */
  dataDir?: string;
  /** Hours between scheduled backups into DATA_DIR/backups (QUIRE_BACKUP_HOURS); absent or 0: none. */
  backupHours?: number;
}

/**
 * Work that runs with nobody present: scheduled posts go live, the trash empties after 30 days,
 * expired sessions and used or expired invite and recovery links go, pictures no post has used for 30 days are deleted. Each job is idempotent
 * and judged by the time now, so a missed tick (or a restart) is caught up by the next one.
 */
export function runJobs({ db, clock, dataDir }: JobDeps): void {
  const now = clock.now();
  publishDuePosts(db, now);
  purgeTrash(db, now);
  deleteExpiredSessions(db, now, SESSION_IDLE_LIMIT);
  deleteFinishedSecrets(db, now);
  // After the trash: pictures only purged posts used start their 30 days now.
  if (dataDir !== undefined) cleanUpMedia(db, dataDir, now);
}

export function startBackgroundJobs(deps: JobDeps, intervalMs = 15_000): () => void {
  const tick = () => {
    try {
      runJobs(deps);
    } catch (error) {
      logError(error, { path: 'background jobs' });
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  // Backups are asynchronous and slow by comparison: their own timer (src/ops/backup.ts).
  const { db, clock, dataDir, backupHours = 0 } = deps;
  const stopBackups = dataDir !== undefined ? startScheduledBackups({ db, clock, dataDir, everyHours: backupHours }) : () => {};
  return () => {
    clearInterval(timer);
    stopBackups();
  };
}
