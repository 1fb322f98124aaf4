// The rendered-page cache: that post pages and feeds really come from it, that every change a
// writer or owner makes empties it, and that the server's fast path in front of the app sends
// exactly what the app would.
import { serve } from '@hono/node-server';
import type { AddressInfo, Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { PageCache, createServerWithPageCache } from '../../src/lib/page-cache.js';
import { enrol, makeApp } from '../helpers.js';
import { makeWriter, publish } from '../reading-fixtures.js';

type Ctx = ReturnType<typeof makeApp>;

async function get(ctx: Ctx, path: string, headers: Record<string, string> = {}) {
  const response = await ctx.client.get(path, headers);
  return { status: response.status, etag: response.headers.get('etag'), body: await response.text() };
}

describe('the page cache', () => {
  it('serves post pages and feeds from memory until public_state says they changed', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    const post = publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Cached', html: '<p>original words</p>' });
    const paths = ['/posts/cached', '/feed.xml', '/atom.xml', '/feed.json', '/authors/ada-lovelace/feed.xml', '/'];
    for (const path of paths) expect((await get(ctx, path)).status, path).toBe(200);

    // Behind the cache's back: a change that does not bump public_state (its trigger is gone).
    ctx.db.exec('DROP TRIGGER public_posts_update');
    ctx.db.prepare('UPDATE posts SET html = ?, text = ? WHERE id = ?').run('<p>sneaky words</p>', 'sneaky words', post.id);
    for (const path of paths.slice(0, 4)) {
      const { body } = await get(ctx, path);
      expect(body, path).toContain('original words');
      expect(body, path).not.toContain('sneaky words');
    }
    // Once the version moves, every copy is rendered again.
    ctx.db.exec('UPDATE public_state SET version = version + 1');
    for (const path of paths.slice(0, 4)) expect((await get(ctx, path)).body, path).toContain('sneaky words');
  });

  it('is emptied by publishing, saving, unpublishing and changing settings through the writers’ own pages', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Mary Shelley');
    const created = await client.post('/write/new');
    const id = Number(created.headers.get('location')!.split('/').pop());
    const save = async (revision: number, html: string) => {
      const response = await client.postJson(`/api/posts/${id}`, { baseRevision: revision, title: 'On lakes', html, tags: 'Water' });
      expect(response.status).toBe(200);
    };
    await save(1, '<p>First draft.</p>');

    // Readers see nothing yet, and that answer is cached too.
    expect((await get(ctx, '/posts/on-lakes')).status).toBe(404);
    const emptyFeed = await get(ctx, '/feed.xml');
    expect(emptyFeed.body).not.toContain('On lakes');

    expect((await client.post(`/write/${id}/publish`)).status).toBe(303);
    const published = await get(ctx, '/posts/on-lakes');
    expect(published.body).toContain('First draft.');
    const feed = await get(ctx, '/feed.xml', { 'if-none-match': emptyFeed.etag! });
    expect(feed.status).toBe(200);
    expect(feed.body).toContain('First draft.');
    // Unchanged since: confirmed with a 304 from the cache.
    expect((await get(ctx, '/posts/on-lakes', { 'if-none-match': published.etag! })).status).toBe(304);
    expect((await get(ctx, '/feed.xml', { 'if-none-match': feed.etag! })).status).toBe(304);

    // A typo fix after publishing updates the live page and the feed's content at once.
    await save(2, '<p>First draft, fixed.</p>');
    const fixed = await get(ctx, '/posts/on-lakes', { 'if-none-match': published.etag! });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toContain('First draft, fixed.');
    expect((await get(ctx, '/feed.xml', { 'if-none-match': feed.etag! })).body).toContain('First draft, fixed.');
    expect((await get(ctx, '/tags/water')).body).toContain('On lakes');

    // Settings are on every page and in every feed.
    const saved = await client.post('/settings', { title: 'Lake Letters', description: 'Letters about lakes.', language: 'en', about: '' });
    expect(saved.status).toBe(303);
    expect((await get(ctx, '/posts/on-lakes', { 'if-none-match': fixed.etag! })).body).toContain('Lake Letters');
    expect((await get(ctx, '/feed.xml')).body).toContain('<title>Lake Letters</title>');

    expect((await client.post(`/write/${id}/unpublish`)).status).toBe(303);
    expect((await get(ctx, '/posts/on-lakes')).status).toBe(404);
    expect((await get(ctx, '/feed.xml')).body).not.toContain('On lakes');
    expect((await get(ctx, '/tags/water')).status).toBe(404);
  });

  it('treats query parameters pages do not read as the same page', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    for (let i = 1; i <= 12; i++) publish(ctx.db, ada, Date.UTC(2026, 0, i), { title: `Walrus ${i}`, html: '<p>walrus facts</p>' });
    const home = await get(ctx, '/');
    for (const path of ['/?utm_source=feed', '/?x=1&y=2', '/?_=1234567']) {
      const other = await get(ctx, path);
      expect(other.etag, path).toBe(home.etag);
      expect(other.body, path).toBe(home.body);
    }
    const second = await get(ctx, '/?page=2');
    expect(second.etag).not.toBe(home.etag);
    expect((await get(ctx, '/?page=2&ref=x')).etag).toBe(second.etag);
    expect((await get(ctx, '/?ref=x&page=2')).etag).toBe(second.etag);
    const search = await get(ctx, '/search?q=walrus');
    expect((await get(ctx, '/search?q=walrus&utm_medium=x')).etag).toBe(search.etag);
    expect((await get(ctx, '/search?q=walruses')).etag).not.toBe(search.etag);
    expect((await get(ctx, '/search?q=walrus')).body).toContain('value="walrus"');
    expect((await get(ctx, '/search?q=' + encodeURIComponent('<b>x</b>'))).body).toContain('value="&lt;b&gt;x&lt;/b&gt;"');
  });

  it('keeps to its bounds, oldest out first', () => {
    const cache = new PageCache({ maxEntries: 2, maxBytes: 1000 });
    const entry = (size: number) => ({ body: new Uint8Array(size), contentType: 'text/plain', cacheControl: 'public', etag: '"x"', lastModified: '', lastModifiedMs: 0 });
    cache.sync(1);
    cache.set('/a', entry(10));
    cache.set('/b', entry(10));
    cache.get('/a');
    cache.set('/c', entry(10));
    expect([cache.get('/a'), cache.get('/b'), cache.get('/c')].map(Boolean)).toEqual([true, false, true]);
    // Bigger than an eighth of the budget: never kept.
    cache.set('/huge', entry(200));
    expect(cache.get('/huge')).toBeUndefined();
    cache.sync(2);
    expect(cache.size).toBe(0);
  });
});

describe('the server’s fast path in front of the app', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  /** A real HTTP server as server.ts builds it, counting what reaches the app. */
  async function start() {
    const ctx = makeApp();
    const pageCache = new PageCache();
    const app = createApp({ db: ctx.db, config: ctx.config, clock: ctx.clock, pageCache });
    const seen: string[] = [];
    const server = await new Promise<Server>((resolve) => {
      const s = serve(
        {
          fetch: (request, env) => {
            seen.push(`${request.method} ${new URL(request.url).pathname}`);
            return app.fetch(request, env);
          },
          port: 0,
          hostname: '127.0.0.1',
          createServer: createServerWithPageCache(pageCache, ctx.db, ctx.config),
        },
        () => resolve(s as unknown as Server),
      );
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ada = makeWriter(ctx.db);
    publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Fast', html: '<p>From memory.</p>' });
    return { ctx, base, seen, ada };
  }

  const headersOf = (response: Response) => {
    const all: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'date' && name !== 'keep-alive' && name !== 'connection') all[name] = value;
    });
    return all;
  };

  it('sends the bytes and headers the app sent, without asking the app again', async () => {
    const { base, seen } = await start();
    for (const path of ['/posts/fast', '/feed.xml', '/search?q=memory', '/?page=1']) {
      const first = await fetch(base + path);
      const firstBody = await first.text();
      const before = seen.length;
      const second = await fetch(base + path);
      expect(seen.length, path).toBe(before);
      expect(second.status).toBe(200);
      expect(await second.text()).toBe(firstBody);
      expect(headersOf(second)).toEqual(headersOf(first));
      // Security headers included: they were recorded from the app's own response.
      expect(second.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(Number(second.headers.get('content-length'))).toBe(Buffer.byteLength(firstBody));
    }
  });

  it('answers If-None-Match and If-Modified-Since with 304, and HEAD without a body', async () => {
    const { base, seen } = await start();
    const first = await fetch(`${base}/posts/fast`);
    await first.arrayBuffer();
    const before = seen.length;
    const byTag = await fetch(`${base}/posts/fast`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(byTag.status).toBe(304);
    expect(await byTag.text()).toBe('');
    expect(byTag.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(byTag.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=600');
    expect(byTag.headers.get('x-content-type-options')).toBe('nosniff');
    expect(byTag.headers.get('content-type')).toBeNull();
    const byDate = await fetch(`${base}/posts/fast`, { headers: { 'if-modified-since': first.headers.get('last-modified')! } });
    expect(byDate.status).toBe(304);
    const other = await fetch(`${base}/posts/fast`, { headers: { 'if-none-match': '"something-else"' } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
    const head = await fetch(`${base}/posts/fast`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'));
    expect(await head.text()).toBe('');
    expect(seen.length).toBe(before);
  });

  it('leaves signed-in requests, other methods, misses and changed content to the app', async () => {
    const { ctx, base, seen, ada } = await start();
    await (await fetch(`${base}/posts/fast`)).arrayBuffer();
    const count = () => seen.length;

    let before = count();
    await (await fetch(`${base}/posts/fast`, { headers: { cookie: 'quire_session=whatever' } })).arrayBuffer();
    expect(count()).toBe(before + 1);

    before = count();
    const post = await fetch(`${base}/posts/fast`, { method: 'POST', headers: { origin: base } });
    await post.arrayBuffer();
    expect(count()).toBe(before + 1);

    // Not found is never kept.
    before = count();
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/posts/nothing-here`)).status).toBe(404);
    expect(count()).toBe(before + 2);

    // A new post changes the home page: rendered again by the app, then served from memory.
    await (await fetch(`${base}/`)).arrayBuffer();
    publish(ctx.db, ada, Date.UTC(2026, 0, 2), { title: 'Newer' });
    before = count();
    expect(await (await fetch(`${base}/`)).text()).toContain('Newer');
    expect(count()).toBe(before + 1);
    expect(await (await fetch(`${base}/`)).text()).toContain('Newer');
    expect(count()).toBe(before + 1);
  });
});
