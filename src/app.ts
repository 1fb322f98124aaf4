import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from './config.js';
import type { AppEnv, Deps } from './context.js';
import type { Db } from './db/database.js';
import { FailureDelay, TokenBucket } from './auth/rate-limit.js';
import { sessionCookieName, validateSession } from './auth/session.js';
import { Assets } from './lib/assets.js';
import { systemClock, type Clock } from './lib/clock.js';
import { chrome, renderPage, setSessionCookie } from './lib/http.js';
import { PageCache } from './lib/page-cache.js';
import { SECRET_PATHS, logRequest, logError } from './lib/log.js';
import { accountRoutes } from './routes/account.js';
import { authRoutes } from './routes/auth.js';
import { membersRoutes } from './routes/members.js';
import { staticRoutes } from './routes/static.js';
import { healthRoutes } from './routes/health.js';
import { writeRoutes } from './routes/write.js';
import { feedRoutes } from './routes/feeds.js';
import { mediaRoutes } from './routes/media.js';
import { publicRoutes } from './routes/public.js';
import { settingsRoutes } from './routes/settings.js';
import { ErrorPage } from '../views/error.js';
import type { Chrome } from '../views/layout.js';

export interface AppOptions {
  db: Db;
  config: Config;
  clock?: Clock;
  assets?: Assets;
  /** Pass one to share it with the server's fast path (see lib/page-cache.ts); tests get their own. */
  pageCache?: PageCache;
}

/** Default request body limit; routes that take uploads raise it for themselves. */
const BODY_LIMIT = 1024 * 1024;

export function createApp({ db, config, clock = systemClock, assets = new Assets(config.staticDir), pageCache = new PageCache() }: AppOptions): Hono<AppEnv> {
  const deps: Deps = {
    db,
    config,
    clock,
    assets,
    throttles: {
      // 10 attempts at once per address, then one every 6 s: plenty for a person, slow for a script.
      signInByIp: new TokenBucket(clock, 10, 6_000),
      enrolByIp: new TokenBucket(clock, 10, 6_000),
      // Every sign-in page asks for one (passkey autofill): 30 at once, then one every 2 s.
      passkeyOptionsByIp: new TokenBucket(clock, 30, 2_000),
      signInFailures: new FailureDelay(clock),
    },
    pageCache,
  };
  const app = new Hono<AppEnv>();

  // ── Cross-cutting middleware ──────────────────────────────────────────────
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('deps', deps);
    c.set('user', null);
    c.set('session', null);
    await next();
    // The final headers of a cached public page, so the server can send them again without the app.
    pageCache.recordHeaders(c.req.raw, c.res);
    if (config.logRequests) logRequest(c.req.method, c.req.path, c.res.status, performance.now() - started);
  });

  // Pages whose address carries a secret (invite, recovery and preview links) send no Referer
  // anywhere and ask search engines not to index them, should such a link ever leak. Registered
  // before securityHeaders so it has the last word on the way out.
  app.use('*', async (c, next) => {
    await next();
    if (SECRET_PATHS.test(c.req.path)) {
      c.header('Referrer-Policy', 'no-referrer');
      c.header('X-Robots-Tag', 'noindex, nofollow');
    }
  });
  app.use('*', securityHeaders(config));

  // State changes only on non-GET requests, and only from pages of this blog. Hono's check
  // covers form posts (what a hostile page can send without CORS): Sec-Fetch-Site must say
  // same-origin or Origin must be PUBLIC_URL's. The second check applies the same rule to every
  // other non-GET, e.g. a JSON save. (Pages with Referrer-Policy: no-referrer send Origin: null,
  // which is why Sec-Fetch-Site is accepted too.)
  app.use('*', csrf({ origin: config.origin, secFetchSite: 'same-origin' }));
  app.use('*', async (c, next) => {
    if (!/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      const origin = c.req.header('origin');
      const sameOrigin = site === 'same-origin' || origin === config.origin;
      // Requests with neither header come from outside a browser and carry no victim's cookies.
      if (!sameOrigin && (site !== undefined || origin !== undefined)) throw new HTTPException(403, { message: 'cross-origin' });
    }
    await next();
  });

  app.use('*', async (c, next) => {
    // Uploads (images, Ghost exports) set their own, larger limit on their route.
    if (c.req.path.startsWith('/api/media') || c.req.path === '/settings/import') return next();
    return bodyLimit({
      maxSize: BODY_LIMIT,
      onError: (c) => renderError(c, 413, 'That was too large to send', 'The request was larger than Quire accepts (1 MB). Nothing was saved.'),
    })(c, next);
  });

  // Who is asking: a valid session cookie makes c.var.user.
  app.use('*', async (c, next) => {
    const token = getCookie(c, sessionCookieName(config));
    if (token) {
      const valid = validateSession(db, token, clock.now());
      if (valid) {
        c.set('user', valid.user);
        c.set('session', valid.session);
        if (valid.renewed) setSessionCookie(c, token);
      }
    }
    await next();
  });

  // ── Routes ─────────────────────────────────────────────────────────────────
  app.route('/', healthRoutes());
  app.route('/', staticRoutes());
  app.route('/', authRoutes());
  app.route('/', membersRoutes());
  app.route('/', accountRoutes());
  app.route('/', writeRoutes());
  app.route('/', settingsRoutes());
  app.route('/', feedRoutes());
  app.route('/', mediaRoutes());
  // Last: its `/:slug` (pages) and catch-all (old addresses → 301) would shadow anything after it.
  app.route('/', publicRoutes());

  app.notFound((c) => renderError(c, 404, 'Page not found', 'There is nothing at this address. It may have moved, or the link may have a typo.'));

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 403) {
        return renderError(
          c,
          403,
          'This request was refused',
          'It did not come from a page of this blog, so Quire ignored it to protect your account. Go back, reload the page and try again.',
        );
      }
      if (error.status < 500) {
        return renderError(c, error.status, 'Something about that request was wrong', error.message || 'Go back and try again.');
      }
    }
    logError(error, { method: c.req.method, path: c.req.path });
    return renderError(c, 500, 'Something went wrong', 'Quire hit an unexpected problem. Nothing you had saved is lost. Try again in a moment.');
  });

  return app;
}

function renderError(c: Context<AppEnv>, status: number, title: string, message: string) {
  c.header('Cache-Control', 'no-store');
  let frame: Chrome;
  try {
    frame = chrome(c);
  } catch {
    // The database itself may be what failed: still answer with a page.
    frame = { siteTitle: 'Quire', language: 'en', stylesheet: c.var.deps.assets.url('app.css'), asset: (n) => c.var.deps.assets.url(n), user: null };
  }
  return renderPage(c, ErrorPage({ chrome: frame, title, message, status }), status);
}

function securityHeaders(config: Config) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      // Scripts only from our own origin: no inline script can run, even if one slipped into a page.
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // No data: images: pictures are uploaded files, so a pasted data: URL can never display.
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    // HSTS only where there is https to insist on; on http://localhost it would do nothing useful.
    strictTransportSecurity: config.secureCookies ? 'max-age=31536000; includeSubDomains' : false,
    referrerPolicy: 'same-origin',
    xFrameOptions: 'DENY',
    // Not set: images and feeds are meant to be shown by feed readers and other sites.
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginEmbedderPolicy: false,
    originAgentCluster: '?1',
    xXssProtection: '0',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [] },
  });
}
