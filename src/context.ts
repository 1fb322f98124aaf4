import type { Assets } from './lib/assets.js';
import type { Clock } from './lib/clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Session } from './db/sessions.js';
import type { User } from './db/users.js';
import type { FailureDelay, TokenBucket } from './auth/rate-limit.js';
import type { PageCache } from './lib/page-cache.js';

export interface Throttles {
  /** Per-IP bucket for sign-in attempts. */
  signInByIp: TokenBucket;
  /** Per-IP bucket for invite enrolment and recovery links. */
  enrolByIp: TokenBucket;
  /** Per-IP bucket for passkey sign-in challenges, so one address cannot fill the challenge table. */
  passkeyOptionsByIp: TokenBucket;
  /** Growing delays per account name, or per trusted browser of an account. */
  signInFailures: FailureDelay;
}

/** What every handler may use; built once per app, so each test gets its own. */
export interface Deps {
  db: Db;
  config: Config;
  clock: Clock;
  assets: Assets;
  throttles: Throttles;
  /** Rendered public pages and feeds; server.ts also answers from it in front of the app. */
  pageCache: PageCache;
}

export interface AppEnv {
  Variables: {
    deps: Deps;
    user: User | null;
    session: Session | null;
  };
}
