import type { Db } from './db/database.js';
import { publishDuePosts, purgeTrash } from './db/posts.js';
import { deleteExpiredSessions } from './db/sessions.js';
import type { Clock } from './lib/clock.js';
import { logError } from './lib/log.js';
import { SESSION_IDLE_LIMIT } from './auth/session.js';

export interface JobDeps {
  db: Db;
  clock: Clock;
}

/**
 * Work that runs with nobody present: scheduled posts go live, the trash empties after 30 days,
 * expired sessions go. Each job is idempotent and judged by the time now, so a missed tick
 * (or a restart) is caught up by the next one.
 */
export function runJobs({ db, clock }: JobDeps): void {
  const now = clock.now();
  publishDuePosts(db, now);
  purgeTrash(db, now);
  deleteExpiredSessions(db, now, SESSION_IDLE_LIMIT);
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
  return () => clearInterval(timer);
}
