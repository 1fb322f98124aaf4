import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { deleteSession, getSessionByTokenHash, insertSession, touchSession, type Session } from '../db/sessions.js';
import { getUserById, type User } from '../db/users.js';
import { DAY, MINUTE } from '../lib/clock.js';
import { hashToken, randomToken } from './tokens.js';

/** A session lasts 30 days from its last renewal and is renewed as it is used. */
export const SESSION_LIFETIME = 30 * DAY;
/** A session nobody used for 7 days ends, even inside its lifetime. */
export const SESSION_IDLE_LIMIT = 7 * DAY;
/** last_seen_at is written at most this often, so reading pages does not mean a write each time. */
const TOUCH_INTERVAL = MINUTE;

/**
 * The cookie's name: with https the __Host- prefix makes the browser insist on Secure,
 * Path=/ and no Domain, so a sibling subdomain cannot plant or read it. Plain-http
 * development on localhost cannot use Secure cookies, so it gets a plain name.
 */
export function sessionCookieName(config: Pick<Config, 'secureCookies'>): string {
  return config.secureCookies ? '__Host-quire_session' : 'quire_session';
}

export interface StartedSession {
  token: string;
  session: Session;
}

/** Always a new token at sign-in, so a token planted before sign-in is worthless after it. */
export function startSession(db: Db, userId: number, now: number, browser: string): StartedSession {
  // 256 bits: well above the 160-bit floor, and only the hash is stored.
  const token = randomToken(32);
  const expiresAt = now + SESSION_LIFETIME;
  const id = insertSession(db, { tokenHash: hashToken(token), userId, now, expiresAt, browser });
  return { token, session: { id, userId, createdAt: now, lastSeenAt: now, expiresAt, authenticatedAt: now, browser } };
}

export interface ValidSession {
  session: Session;
  user: User;
  /** The cookie should be re-sent with a new expiry (the session slid forward). */
  renewed: boolean;
}

export function validateSession(db: Db, token: string, now: number): ValidSession | null {
  // Reject junk early: tokens are 43 base64url characters.
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const session = getSessionByTokenHash(db, hashToken(token));
  if (!session) return null;
  if (now >= session.expiresAt || now - session.lastSeenAt >= SESSION_IDLE_LIMIT) {
    deleteSession(db, session.id);
    return null;
  }
  const user = getUserById(db, session.userId);
  if (!user) return null;
  let renewed = false;
  if (now - session.lastSeenAt >= TOUCH_INTERVAL) {
    session.lastSeenAt = now;
    session.expiresAt = now + SESSION_LIFETIME;
    touchSession(db, session.id, session.lastSeenAt, session.expiresAt);
    renewed = true;
  }
  return { session, user, renewed };
}

/** "Chrome on Linux": enough for a person to recognise their device, nothing more is kept. */
export function describeBrowser(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown browser';
  const browser =
    /Edg\//.test(userAgent) ? 'Edge'
    : /OPR\//.test(userAgent) ? 'Opera'
    : /Firefox\//.test(userAgent) ? 'Firefox'
    : /(Chrome|Chromium|CriOS)\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari'
    : 'Browser';
  const os =
    /iPhone|iPad|iPod/.test(userAgent) ? 'iOS'
    : /Android/.test(userAgent) ? 'Android'
    : /Windows/.test(userAgent) ? 'Windows'
    : /Mac OS X|Macintosh/.test(userAgent) ? 'macOS'
    : /CrOS/.test(userAgent) ? 'ChromeOS'
    : /Linux/.test(userAgent) ? 'Linux'
    : 'an unknown system';
  return `${browser} on ${os}`;
}
