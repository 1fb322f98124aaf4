import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AppEnv } from '../context.js';
import { SESSION_LIFETIME, sessionCookieName } from '../auth/session.js';
import { getSettings } from '../db/settings.js';
import type { Chrome } from '../../views/layout.js';

/** What every page's frame needs: the blog's name, the stylesheet, who is signed in. */
export function chrome(c: Context<AppEnv>, options: { public?: boolean } = {}): Chrome {
  const { db, assets } = c.var.deps;
  const settings = getSettings(db);
  // Public pages are cached and shared by everyone, so they never depend on who is asking.
  const user = options.public ? null : c.var.user;
  return {
    siteTitle: settings.title,
    language: settings.language,
    stylesheet: assets.url('app.css'),
    asset: (name: string) => assets.url(name),
    user: user ? { displayName: user.displayName, role: user.role } : null,
  };
}

export function renderPage(c: Context<AppEnv>, page: JSX.Element, status = 200) {
  return c.html(page, status as 200);
}

export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  const { config } = c.var.deps;
  setCookie(c, sessionCookieName(config), token, {
    path: '/',
    httpOnly: true,
    secure: config.secureCookies,
    // Lax: the cookie rides along when a reader follows a link into Quire, never on a cross-site POST.
    sameSite: 'Lax',
    maxAge: SESSION_LIFETIME / 1000,
  });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  const { config } = c.var.deps;
  deleteCookie(c, sessionCookieName(config), { path: '/', secure: config.secureCookies });
}

/**
 * The client's address, for per-IP throttling. Behind a reverse proxy on the same host
 * (TRUST_PROXY=true) it is the last address the proxy appended to X-Forwarded-For.
 */
export function clientIp(c: Context<AppEnv>): string {
  if (c.var.deps.config.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').pop()?.trim();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return 'unknown';
  }
}

/**
 * Only local paths are followed after sign-in: "/write" yes; "//evil.example",
 * "/\\evil.example" or "https://…" no, so ?next= cannot become an open redirect.
 */
export function safeNext(next: string | undefined | null, fallback = '/write'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n\t]/.test(next)) return fallback;
  try {
    const url = new URL(next, 'http://quire.invalid');
    if (url.origin !== 'http://quire.invalid') return fallback;
    const local = url.pathname + url.search + url.hash;
    // Dot segments collapse while the URL is normalised ("/.//evil.example" → "//evil.example"),
    // so the result is checked again: a browser reads a leading "//" as another site.
    return local.startsWith('//') ? fallback : local;
  } catch {
    return fallback;
  }
}

export type FormFields = Record<string, string>;

/**
 * Reads a urlencoded or multipart form as plain strings (files ignored). A body that cannot
 * be parsed is treated as empty: the form then re-renders with its errors named, never a 500.
 */
export async function readForm(c: Context<AppEnv>): Promise<FormFields> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    return {};
  }
  const fields: FormFields = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') fields[key] = value;
  }
  return fields;
}

export function noStore(c: Context<AppEnv>): void {
  c.header('Cache-Control', 'no-store');
}

