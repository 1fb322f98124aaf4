/**
 * Rendered public pages and feeds, kept in memory while public content is unchanged.
 *
 * Every change that can affect a public page bumps public_state.version (SQLite triggers, also
 * for writes from the CLI in another process), so one tiny read per request tells whether a
 * stored copy is still right. The copy carries a strong ETag (a hash of its bytes) and a
 * Last-Modified, so readers, feed pollers and proxies can revalidate with a 304 and no body.
 *
 * Two ways in. Inside the app, `cachePublic` renders on a miss and answers from the cache on a
 * hit. In front of the app, `createServerWithPageCache` answers an anonymous GET or HEAD for a
 * page already rendered straight from these bytes and the exact headers the app sent with them,
 * without building a Request, a Context or a Response: that is what makes a cached page cost
 * about what a static file costs.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { publicState } from '../db/posts.js';
import { sessionCookieName } from '../auth/session.js';
import { logRequest } from './log.js';

export interface CachedResponse {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  cacheControl: string;
  etag: string;
  lastModified: string;
  /** Last-Modified in ms, rounded down to the second as the header says it. */
  lastModifiedMs: number;
  /**
   * Every header the app sent with this copy (security headers included), once an anonymous
   * 200 went out; until then the copy is served only through the app.
   */
  wire?: { ok: Record<string, string>; notModified: Record<string, string> };
}

export interface PageCacheOptions {
  maxEntries?: number;
  maxBytes?: number;
}

/** A bounded LRU map from path+query to a rendered response, emptied when public content changes. */
export class PageCache {
  private readonly entries = new Map<string, CachedResponse>();
  /** Copies handed out by the app for a request whose final headers are not known yet. */
  private readonly awaitingHeaders = new WeakMap<Request, CachedResponse>();
  private version = Number.NaN;
  private bytes = 0;
  private startedAt: number | undefined;
  readonly maxEntries: number;
  readonly maxBytes: number;

  // 500 pages or 16 MB: far more than a blog's busy pages (home, new posts, feeds), and small
  // beside the rest of the process on a 1 GB server. One copy may take up to 2 MB, enough for
  // the sitemap of about 15,000 posts.
  constructor({ maxEntries = 500, maxBytes = 16 * 1024 * 1024 }: PageCacheOptions = {}) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** Drops everything rendered for another version of the public content. */
  sync(version: number): void {
    if (version === this.version) return;
    this.entries.clear();
    this.bytes = 0;
    this.version = version;
  }

  get(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last: eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedResponse): void {
    const size = entry.body.byteLength + key.length;
    // One huge response must not push out everything else.
    if (size > this.maxBytes / 8) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.body.byteLength + key.length;
    }
    this.entries.set(key, entry);
    this.bytes += size;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedResponse];
      this.entries.delete(oldestKey);
      this.bytes -= oldest.body.byteLength + oldestKey.length;
    }
  }

  /** When this cache (and so this process) first answered: the earliest Last-Modified it gives. */
  since(now: number): number {
    this.startedAt ??= now;
    return this.startedAt;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Marks `entry` as being sent for `request`; `recordHeaders` then learns its final headers. */
  expectHeaders(request: Request, entry: CachedResponse): void {
    if (!entry.wire) this.awaitingHeaders.set(request, entry);
  }

  /**
   * Called with the app's final response (after every middleware, security headers included).
   * Only an anonymous 200 is recorded: a response that sets a cookie belongs to one person.
   */
  recordHeaders(request: Request, response: Response): void {
    const entry = this.awaitingHeaders.get(request);
    if (!entry) return;
    this.awaitingHeaders.delete(request);
    if (response.status !== 200 || response.headers.has('set-cookie') || response.headers.get('etag') !== entry.etag) return;
    const ok: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      ok[name] = value;
    });
    ok['content-length'] = String(entry.body.byteLength);
    const { 'content-type': _type, 'content-length': _length, ...notModified } = ok;
    entry.wire = { ok, notModified };
  }
}

/** Pages: a minute fresh at a proxy, then served stale for up to ten while it revalidates. */
export const PAGE_CACHE_CONTROL = 'public, max-age=60, stale-while-revalidate=600';
/** Feeds and crawler files are polled, not read: five minutes fresh, an hour stale-while-revalidate. */
export const FEED_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=3600';

/**
 * Route middleware for public GET/HEAD responses: answers from the cache when it can, and
 * otherwise lets the handler render and keeps a 200 for next time. Either way the answer
 * honours If-None-Match / If-Modified-Since. Anything but a 200 (404, 301) passes through
 * untouched and is not kept, so probing random addresses cannot crowd out real pages.
 */
export function cachePublic(cacheControl: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { db, clock, pageCache: cache } = c.var.deps;
    const state = publicState(db);
    cache.sync(state.version);
    const key = cacheKey(c);
    if (key === null) return next();
    const hit = cache.get(key);
    if (hit) {
      cache.expectHeaders(c.req.raw, hit);
      c.res = send(c, hit);
      return;
    }
    await next();
    if (c.res.status !== 200) return;
    const body = new Uint8Array(await c.res.arrayBuffer());
    // After a restart (an upgrade may have changed templates), If-Modified-Since must not
    // confirm a copy rendered by the old code: Last-Modified is never earlier than our start.
    const lastModifiedMs = Math.floor(Math.max(state.changedAt, cache.since(clock.now())) / 1000) * 1000;
    const entry: CachedResponse = {
      body,
      contentType: c.res.headers.get('content-type') ?? 'text/html; charset=UTF-8',
      cacheControl,
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
      lastModified: new Date(lastModifiedMs).toUTCString(),
      lastModifiedMs,
    };
    cache.set(key, entry);
    cache.expectHeaders(c.req.raw, entry);
    // The handler's response is final once it returned; replacing it is done by assignment.
    c.res = send(c, entry);
  };
}

function send(c: Context<AppEnv>, entry: CachedResponse): Response {
  const validators = { ETag: entry.etag, 'Last-Modified': entry.lastModified, 'Cache-Control': entry.cacheControl };
  const response = notModified(c.req.header('if-none-match'), c.req.header('if-modified-since'), entry)
    ? c.body(null, 304, validators)
    : c.body(entry.body, 200, { ...validators, 'Content-Type': entry.contentType });
  // A signed-in reader's renewed session cookie may ride on this response: no shared cache may keep it.
  if (response.headers.has('set-cookie')) response.headers.set('Cache-Control', 'private, no-cache');
  return response;
}

/** RFC 9110 §13.1: If-None-Match (weak comparison) decides when present; else If-Modified-Since. */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  entry: Pick<CachedResponse, 'etag' | 'lastModifiedMs'>,
): boolean {
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    const wanted = entry.etag;
    return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === wanted);
  }
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && entry.lastModifiedMs <= since;
}

/**
 * The path, and of the query only what public pages read (`q`, `page`), decoded exactly as the
 * handlers read them. "/?utm_source=x" or a feed reader's cache-buster is then the same page as
 * "/": served from the same copy, and unable to crowd real pages out of the cache. The common
 * forms ("/", "/posts/x", "/search?q=lake&page=2") come out as they are written, so the fast
 * path finds them by the request line alone. Null (do not cache) for a value that cannot be
 * written back into a URL.
 */
export function cacheKey(c: Context<AppEnv>): string | null {
  let query = '';
  for (const name of ['q', 'page']) {
    const value = c.req.query(name);
    if (value === undefined) continue;
    try {
      query += `${query ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
    } catch {
      return null;
    }
  }
  return c.req.path + query;
}

// ── In front of the app ────────────────────────────────────────────────────────────────────

/**
 * A node:http request listener step: answers from the cache and returns true, or returns false
 * and leaves the request to the app. It answers only what the app would answer the same way:
 * a GET or HEAD without a session cookie (a signed-in request may renew its cookie), for a copy
 * that is current and whose headers the app already sent once. The key is the request line's
 * path as sent; an address the app would normalise differently simply misses.
 */
export function cachedPageResponder(cache: PageCache, db: Db, config: Pick<Config, 'secureCookies' | 'logRequests'>) {
  const sessionCookie = `${sessionCookieName(config)}=`;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const started = config.logRequests ? performance.now() : 0;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.url === undefined) return false;
    if (req.headers.cookie?.includes(sessionCookie)) return false;
    cache.sync(publicState(db).version);
    const entry = cache.get(req.url);
    if (!entry?.wire) return false;
    const ifNoneMatch = req.headers['if-none-match'];
    const fresh = notModified(ifNoneMatch, req.headers['if-modified-since'], entry);
    if (fresh) res.writeHead(304, entry.wire.notModified).end();
    else res.writeHead(200, entry.wire.ok).end(entry.body);
    if (config.logRequests) logRequest(req.method, req.url.split('?')[0]!, fresh ? 304 : 200, performance.now() - started);
    return true;
  };
}

/**
 * node:http's createServer for @hono/node-server's `serve`, with `cachedPageResponder` in front
 * of the app's listener.
 */
export function createServerWithPageCache(cache: PageCache, db: Db, config: Pick<Config, 'secureCookies' | 'logRequests'>): typeof createServer {
  const answer = cachedPageResponder(cache, db, config);
  const create = (options: ServerOptions, listener: RequestListener) =>
    createServer(options, (req, res) => {
      if (!answer(req, res)) void listener(req, res);
    });
  // serve() always passes (options, listener); the cast only hides createServer's other overloads.
  return create as unknown as typeof createServer;
}
