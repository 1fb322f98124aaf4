import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../context.js';
import { DAY } from '../lib/clock.js';
import { deriveKey } from './keys.js';
import { hmac, randomToken, safeEqual } from './tokens.js';

// Device cookies (OWASP): a browser that once signed in to an account carries a signed note
// saying so. Its failed attempts are throttled on their own, so an attacker hammering the
// account name from elsewhere cannot lock the real writer out of the browser they always use.
const DEVICE_COOKIE_LIFETIME = 365 * DAY;

function cookieName(c: Context<AppEnv>): string {
  return c.var.deps.config.secureCookies ? '__Host-quire_device' : 'quire_device';
}

function sign(c: Context<AppEnv>, userId: number, nonce: string): string {
  return hmac(deriveKey(c.var.deps.config.secret, 'device-cookie'), String(userId), nonce);
}

export function rememberDevice(c: Context<AppEnv>, userId: number): void {
  const nonce = randomToken(16);
  const { secureCookies } = c.var.deps.config;
  setCookie(c, cookieName(c), `${userId}.${nonce}.${sign(c, userId, nonce)}`, {
    path: '/',
    httpOnly: true,
    secure: secureCookies,
    sameSite: 'Strict',
    maxAge: DEVICE_COOKIE_LIFETIME / 1000,
  });
}

/** The device's id if this browser carries a valid device cookie for `userId`. */
export function trustedDeviceFor(c: Context<AppEnv>, userId: number): string | null {
  const raw = getCookie(c, cookieName(c));
  const match = raw?.match(/^(\d+)\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/);
  if (!match || Number(match[1]) !== userId) return null;
  const nonce = match[2]!;
  return safeEqual(match[3]!, sign(c, userId, nonce)) ? nonce : null;
}
