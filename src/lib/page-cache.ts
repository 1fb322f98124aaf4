/**
 * Rendered public pages and feeds, kept in memory while public content is unchanged.
 *
 * Every change that can affect a public page bumps public_state.version (SQLite triggers, also
 * for writes from the CLI in another process), so one tiny read per request tells whether a
 * stored copy is still right. The copy carries a strong ETag (a hash of its bytes) and a
 * Last-Modified, so readers, feed pollers and proxies can revalidate with a 304 and no body.
 */
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { publicState } from '../db/posts.js';

export interface CachedResponse {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  cacheControl: string;
  etag: string;
  lastModified: string;
  /** Last-Modified in ms, rounded down to the second as the header says it. */
  lastModifiedMs: number;
}

export interface PageCacheOptions {
  maxEntries?: number;
  maxBytes?: number;
}

/** A bounded LRU map from path+query to a rendered response, emptied when public content changes. */
export class PageCache {
  private readonly entries = new Map<string, CachedResponse>();
  private version = Number.NaN;
  private bytes = 0;
  private startedAt: number | undefined;
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor({ maxEntries = 1000, maxBytes = 32 * 1024 * 1024 }: PageCacheOptions = {}) {
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
export function cachePublic(cache: PageCache, cacheControl: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { db, clock } = c.var.deps;
    const state = publicState(db);
    cache.sync(state.version);
    const key = pathAndQuery(c.req.url);
    const hit = cache.get(key);
    if (hit) return send(c, hit);
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
    // The handler's response is final once it returned; replacing it is done by assignment.
    c.res = send(c, entry);
  };
}

function send(c: Context<AppEnv>, entry: CachedResponse): Response {
  const validators = { ETag: entry.etag, 'Last-Modified': entry.lastModified, 'Cache-Control': entry.cacheControl };
  const response = notModified(c, entry)
    ? c.body(null, 304, validators)
    : c.body(entry.body, 200, { ...validators, 'Content-Type': entry.contentType });
  // A signed-in reader's renewed session cookie may ride on this response: no shared cache may keep it.
  if (response.headers.has('set-cookie')) response.headers.set('Cache-Control', 'private, no-cache');
  return response;
}

/** RFC 9110 §13.1: If-None-Match (weak comparison) decides when present; else If-Modified-Since. */
export function notModified(c: Context<AppEnv>, entry: Pick<CachedResponse, 'etag' | 'lastModifiedMs'>): boolean {
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    const wanted = entry.etag;
    return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === wanted);
  }
  const ifModifiedSince = c.req.header('if-modified-since');
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && entry.lastModifiedMs <= since;
}

function pathAndQuery(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const hash = url.indexOf('#', start);
  return start < 0 ? '/' : url.slice(start, hash < 0 ? undefined : hash);
}
