// The second step of signing in: after the password, an authenticator code, a passkey or a
// recovery code. Between the two steps the browser holds a short-lived "pending sign-in" token,
// never a session: a correct password alone opens nothing while a second factor is on.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../context.js';
import type { Db } from '../db/database.js';
import { countPasskeys } from '../db/passkeys.js';
import { getPendingSignIn, insertPendingSignIn, type PendingSignIn } from '../db/pending-sign-ins.js';
import { countUnusedRecoveryCodes } from '../db/recovery-codes.js';
import { clearSecondFactorFailures, recentSecondFactorFailures, recordSecondFactorFailure } from '../db/second-factor-failures.js';
import { hasSecurityEventSince, insertSecurityEvent, type SecurityEventType } from '../db/security-events.js';
import { isTotpEnabled } from '../db/totp.js';
import { getUserById, type User } from '../db/users.js';
import { MINUTE } from '../lib/clock.js';
import type { Verdict } from './rate-limit.js';
import { describeBrowser } from './session.js';
import { hashToken, randomToken } from './tokens.js';

/** Time to find the phone and type the code. */
export const PENDING_SIGN_IN_LIFETIME = 10 * MINUTE;
/** Wrong authenticator codes allowed per account in any 30 minutes before Quire answers 429. */
export const MAX_CODE_FAILURES = 5;
export const CODE_FAILURE_WINDOW = 30 * MINUTE;

export interface Factors {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

export function factorsOf(db: Db, userId: number): Factors {
  return { totp: isTotpEnabled(db, userId), passkeys: countPasskeys(db, userId), recoveryCodesLeft: countUnusedRecoveryCodes(db, userId) };
}

/**
 * An authenticator app or a passkey is a second factor: with either, the password is no longer
 * enough on its own (otherwise a stolen password would simply bypass them).
 */
export function hasSecondFactor(factors: Factors): boolean {
  return factors.totp || factors.passkeys > 0;
}

function pendingCookieName(c: Context<AppEnv>): string {
  return c.var.deps.config.secureCookies ? '__Host-quire_pending' : 'quire_pending';
}

/** Password accepted: remember that (briefly) in this browser and ask for the second factor. */
export function startPendingSignIn(c: Context<AppEnv>, userId: number, next: string | null): void {
  const { db, clock, config } = c.var.deps;
  const token = randomToken(32);
  const now = clock.now();
  insertPendingSignIn(db, { tokenHash: hashToken(token), userId, next, now, expiresAt: now + PENDING_SIGN_IN_LIFETIME });
  setCookie(c, pendingCookieName(c), token, {
    path: '/',
    httpOnly: true,
    secure: config.secureCookies,
    // Strict: the half-finished sign-in is only ever continued from this blog's own pages.
    sameSite: 'Strict',
    maxAge: PENDING_SIGN_IN_LIFETIME / 1000,
  });
}

export function readPendingSignIn(c: Context<AppEnv>): { pending: PendingSignIn; user: User } | null {
  const { db, clock } = c.var.deps;
  const token = getCookie(c, pendingCookieName(c));
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const pending = getPendingSignIn(db, hashToken(token), clock.now());
  if (!pending) return null;
  const user = getUserById(db, pending.userId);
  return user ? { pending, user } : null;
}

export function clearPendingCookie(c: Context<AppEnv>): void {
  deleteCookie(c, pendingCookieName(c), { path: '/', secure: c.var.deps.config.secureCookies });
}

// ── Throttling wrong codes ──────────────────────────────────────────────────

/**
 * A six-digit code has a million values and three are valid at any moment, so wrong guesses are
 * limited per account (not per address, which an attacker can change): 5 in any 30 minutes.
 * Kept in the database, so a restart does not hand out a fresh allowance.
 */
export function codeThrottle(db: Db, userId: number, now: number): Verdict {
  const failures = recentSecondFactorFailures(db, userId, now, CODE_FAILURE_WINDOW);
  if (failures.length < MAX_CODE_FAILURES) return { ok: true, retryAfter: 0 };
  // Room again when the oldest failure that still counts leaves the window.
  const freeAt = failures[failures.length - MAX_CODE_FAILURES]! + CODE_FAILURE_WINDOW;
  return { ok: false, retryAfter: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
}

export function recordCodeFailure(c: Context<AppEnv>, userId: number): void {
  const { db, clock } = c.var.deps;
  const now = clock.now();
  recordSecondFactorFailure(db, userId, now, CODE_FAILURE_WINDOW);
  // A burst is worth telling the writer about, once per window: someone may have their password.
  if (codeThrottle(db, userId, now).ok === false && !hasSecurityEventSince(db, userId, 'second-factor-failures', now - CODE_FAILURE_WINDOW)) {
    recordEvent(c, userId, 'second-factor-failures', `${MAX_CODE_FAILURES} wrong authenticator codes`);
  }
}

export function clearCodeFailures(db: Db, userId: number): void {
  clearSecondFactorFailures(db, userId);
}

// ── Security events ─────────────────────────────────────────────────────────

export function recordEvent(c: Context<AppEnv>, userId: number, type: SecurityEventType, detail = ''): void {
  const { db, clock } = c.var.deps;
  insertSecurityEvent(db, { userId, type, detail, browser: describeBrowser(c.req.header('user-agent')), now: clock.now() });
}
