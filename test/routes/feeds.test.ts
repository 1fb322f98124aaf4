import { describe, expect, it } from 'vitest';
import { trashPost, unpublishPost } from '../../src/db/posts.js';
import { DEFAULT_SETTINGS, saveSettings } from '../../src/db/settings.js';
import { DAY, HOUR } from '../../src/lib/clock.js';
import { sanitizePostHtml } from '../../src/lib/sanitize.js';
import { absoluteUrls } from '../../src/routes/feeds.js';
import { XSS_VECTORS } from '../fixtures/xss-vectors.js';
import { ORIGIN, makeApp } from '../helpers.js';
import { dangerousMarkup, draft, edit, makeWriter, parseFeeds, publish, schedule } from '../reading-fixtures.js';

type Ctx = ReturnType<typeof makeApp>;

async function fetchText(ctx: Ctx, path: string, headers: Record<string, string> = {}) {
  const response = await ctx.client.get(path, headers);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** The three feeds of a scope ("" for the blog, "/authors/x", "/tags/y"). */
async function feeds(ctx: Ctx, base = '') {
  const rss = await fetchText(ctx, `${base}/feed.xml`);
  const atom = await fetchText(ctx, `${base}/atom.xml`);
  const json = await fetchText(ctx, `${base}/feed.json`);
  return { rss, atom, json };
}

interface JsonFeed {
  version: string;
  title: string;
  home_page_url: string;
  feed_url: string;
  language: string;
  items: {
    id: string;
    url: string;
    title: string;
    content_html: string;
    summary?: string;
    date_published: string;
    date_modified: string;
    authors: { name: string; url: string }[];
    tags?: string[];
  }[];
}

function blog() {
  const ctx = makeApp();
  const ada = makeWriter(ctx.db, 'Ada Lovelace');
  const grace = makeWriter(ctx.db, 'Grace Hopper');
  const t0 = Date.UTC(2026, 0, 1, 9);
  const first = publish(ctx.db, ada, t0, {
    title: 'Fish & <Chips>',
    html: '<p>See <a href="/posts/other">another post</a>, <a href="https://example.com/x">a site</a> and <a href="mailto:a@example.com">mail</a>.</p><p><img src="/media/a.jpg" srcset="/media/a.jpg 1x, /media/a@2x.jpg 2x" alt="A"></p>',
    tags: ['Food', 'Travel'],
  });
  const second = publish(ctx.db, grace, t0 + DAY, { title: 'Compilers', html: '<p>About compilers.</p>', tags: ['Computing'] });
  draft(ctx.db, ada, t0, { title: 'A secret draft', html: '<p>never in a feed</p>' });
  schedule(ctx.db, ada, t0, Date.UTC(2099, 0, 1), { title: 'A future post' });
  const gone = publish(ctx.db, ada, t0 + 2 * DAY, { title: 'A trashed post' });
  trashPost(ctx.db, gone.id, t0 + 3 * DAY);
  const back = publish(ctx.db, grace, t0 + 2 * DAY, { title: 'An unpublished post' });
  unpublishPost(ctx.db, back.id, t0 + 3 * DAY);
  return { ctx, ada, grace, first, second };
}

describe('the blog’s feeds', () => {
  it('serve RSS 2.0, Atom 1.0 and JSON Feed 1.1 with the right content types', async () => {
    const { ctx } = blog();
    const { rss, atom, json } = await feeds(ctx);
    expect(rss.status).toBe(200);
    expect(rss.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(json.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    expect(rss.body).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<rss version="2.0"/);
    expect(atom.body).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect((JSON.parse(json.body) as JsonFeed).version).toBe('https://jsonfeed.org/version/1.1');
  });

  it('parse back (feedparser and a strict XML parser) with every required field and absolute links', async () => {
    const { ctx, first, second } = blog();
    const { rss, atom } = await feeds(ctx);
    const [parsedRss, parsedAtom] = parseFeeds([rss.body, atom.body]);
    for (const [name, parsed] of [['rss', parsedRss!], ['atom', parsedAtom!]] as const) {
      expect(parsed.wellformed, name).toBe(true);
      expect(parsed.bozo, `${name}: ${parsed.bozo_exception}`).toBe(false);
      expect(parsed.version).toBe(name === 'rss' ? 'rss20' : 'atom10');
      expect(parsed.feed.title).toBe('Quire');
      expect(parsed.feed.link).toBe('http://localhost:3000/');
      expect(parsed.feed.subtitle).toBe(DEFAULT_SETTINGS.description);
      expect(parsed.entries.map((e) => e.id)).toEqual([`urn:uuid:${second.uid}`, `urn:uuid:${first.uid}`]);
      const [newest, older] = parsed.entries;
      expect(newest!.title).toBe('Compilers');
      expect(newest!.link).toBe('http://localhost:3000/posts/compilers');
      expect(newest!.author).toBe('Grace Hopper');
      expect(newest!.tags).toEqual([name === 'rss' ? 'Computing' : 'computing']);
      expect(newest!.published).toBeTruthy();
      expect(older!.link).toBe('http://localhost:3000/posts/fish-chips');
      const content = older!.content[0]!;
      expect(content).toContain('href="http://localhost:3000/posts/other"');
      expect(content).toContain('href="https://example.com/x"');
      expect(content).toContain('href="mailto:a@example.com"');
      expect(content).toContain('src="http://localhost:3000/media/a.jpg"');
      expect(content).not.toMatch(/(href|src)="\//);
    }
    // feedparser drops srcset when it cleans HTML, so that is checked on what we send.
    for (const body of [rss.body, atom.body]) {
      expect(body).toContain('srcset="http://localhost:3000/media/a.jpg 1x, http://localhost:3000/media/a@2x.jpg 2x"');
    }
    // The title is text: in Atom (type="html") it is escaped once, so it reads as written.
    expect(atom.body).toContain('<title type="html"><![CDATA[Fish &amp; &lt;Chips&gt;]]></title>');
    expect(parsedRss!.entries[1]!.title).toBe('Fish & <Chips>');
    expect(parsedAtom!.feed.id).toBe('http://localhost:3000/');
    expect(parsedAtom!.entries[0]!.updated).toBe('2026-01-02T09:00:00.000Z');
  });

  it('has JSON Feed 1.1 items with ids, absolute URLs, content, dates and authors', async () => {
    const { ctx, first } = blog();
    const feed = JSON.parse((await feeds(ctx)).json.body) as JsonFeed;
    expect(feed.title).toBe('Quire');
    expect(feed.home_page_url).toBe('http://localhost:3000/');
    expect(feed.feed_url).toBe('http://localhost:3000/feed.json');
    expect(feed.language).toBe('en');
    const item = feed.items.find((i) => i.id === `urn:uuid:${first.uid}`)!;
    expect(item.url).toBe('http://localhost:3000/posts/fish-chips');
    expect(item.title).toBe('Fish & <Chips>');
    expect(item.content_html).toContain('src="http://localhost:3000/media/a.jpg"');
    expect(item.date_published).toBe('2026-01-01T09:00:00.000Z');
    expect(item.date_modified).toBe('2026-01-01T09:00:00.000Z');
    expect(item.authors).toEqual([{ name: 'Ada Lovelace', url: 'http://localhost:3000/authors/ada-lovelace' }]);
    expect(item.tags).toEqual(['Food', 'Travel']);
  });

  it('hold only published posts, the 20 most recent', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    for (let i = 1; i <= 25; i++) publish(ctx.db, ada, Date.UTC(2026, 0, i), { title: `Post ${i}` });
    draft(ctx.db, ada, Date.UTC(2026, 1, 1), { title: 'Draft' });
    const feed = JSON.parse((await feeds(ctx)).json.body) as JsonFeed;
    expect(feed.items.map((i) => i.title)).toEqual(Array.from({ length: 20 }, (_, i) => `Post ${25 - i}`));
    const { rss } = await feeds(ctx);
    expect(rss.body.match(/<item>/g)).toHaveLength(20);
    for (const word of ['Draft', 'A secret draft', 'A future post', 'A trashed post', 'An unpublished post']) expect(rss.body).not.toContain(word);
  });

  it('keep never-published posts out', async () => {
    const { ctx } = blog();
    const { rss, atom, json } = await feeds(ctx);
    for (const body of [rss.body, atom.body, json.body]) {
      for (const word of ['secret draft', 'future post', 'trashed post', 'unpublished post']) expect(body).not.toContain(word);
    }
  });

  it('keep item ids when the slug and title change; updated moves only with a significant edit', async () => {
    const { ctx, ada, first } = blog();
    const before = (await feeds(ctx)).atom.body;
    const renamed = edit(ctx.db, ada, first, Date.UTC(2026, 1, 1), { title: 'Fish and chips', slug: 'fish-and-chips', html: '<p>Typo fixed.</p>' });
    const afterTypo = parseFeeds([(await feeds(ctx)).atom.body])[0]!;
    const entry = afterTypo.entries.find((e) => e.id === `urn:uuid:${first.uid}`)!;
    expect(before).toContain(`<id>urn:uuid:${first.uid}</id>`);
    expect(entry.title).toBe('Fish and chips');
    expect(entry.link).toBe('http://localhost:3000/posts/fish-and-chips');
    expect(entry.published).toBe('2026-01-01T09:00:00.000Z');
    expect(entry.updated).toBe('2026-01-01T09:00:00.000Z');
    expect(afterTypo.entries).toHaveLength(2);

    edit(ctx.db, ada, renamed, Date.UTC(2026, 1, 2), { html: '<p>A new chapter.</p>' }, true);
    const json = JSON.parse((await feeds(ctx)).json.body) as JsonFeed;
    const item = json.items.find((i) => i.id === `urn:uuid:${first.uid}`)!;
    expect(item.date_published).toBe('2026-01-01T09:00:00.000Z');
    expect(item.date_modified).toBe('2026-02-02T00:00:00.000Z');
    const rss = parseFeeds([(await feeds(ctx)).rss.body])[0]!;
    expect(rss.entries.find((e) => e.id === `urn:uuid:${first.uid}`)!.published).toBe('Thu, 01 Jan 2026 09:00:00 GMT');
  });

  it('stay well-formed with titles and names that fight XML', async () => {
    const ctx = makeApp();
    const nasty = makeWriter(ctx.db, 'Bob "Tables" <O\'Brien> & Co');
    saveSettings(ctx.db, { ...DEFAULT_SETTINGS, title: 'A & B <blog> ]]>', description: 'Say "hi" & <wave>' });
    publish(ctx.db, nasty, Date.UTC(2026, 0, 1), {
      title: 'Close ]]> twice ]]> and \u0001control\u0008 chars \uFFFE & a lone \uD800 surrogate 🚀',
      html: '<p>Code: <code>a]]&gt;b</code> ]]&gt; end</p><pre>x ]]&gt; y</pre>',
      excerpt: 'An excerpt with ]]> and <b>tags</b> & more',
      tags: ['a<b', 'c&d', 'q"uote', 'emoji 🚀'],
    });
    const { rss, atom, json } = await feeds(ctx);
    const parsed = parseFeeds([rss.body, atom.body]);
    for (const feed of parsed) {
      expect(feed.wellformed).toBe(true);
      expect(feed.bozo, feed.bozo_exception).toBe(false);
      expect(feed.entries).toHaveLength(1);
      expect(feed.entries[0]!.author).toBe('Bob "Tables" <O\'Brien> & Co');
      expect(feed.feed.title).toBe('A & B <blog> ]]>');
      expect(feed.entries[0]!.content[0]).toContain('a]]&gt;b');
    }
    expect(parsed[0]!.entries[0]!.tags).toEqual(['a<b', 'c&d', 'q"uote', 'emoji 🚀']);
    const item = (JSON.parse(json.body) as JsonFeed).items[0]!;
    expect(item.title).toContain('🚀');
    expect(item.tags).toEqual(['a<b', 'c&d', 'q"uote', 'emoji 🚀']);
  });

  it('answer conditional requests with 304 and change their ETag when a post changes', async () => {
    const { ctx, ada } = blog();
    const first = await fetchText(ctx, '/feed.xml');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=3600');
    expect(first.headers.get('last-modified')).toBeTruthy();
    expect((await fetchText(ctx, '/feed.xml', { 'if-none-match': etag })).status).toBe(304);
    expect((await fetchText(ctx, '/feed.xml', { 'if-modified-since': first.headers.get('last-modified')! })).status).toBe(304);
    // An unchanged feed renders to the same bytes, so even a rebuilt cache gives the same ETag.
    saveSettings(ctx.db, { ...DEFAULT_SETTINGS, about: 'Only the about text changed.' });
    const rebuilt = await fetchText(ctx, '/feed.xml', { 'if-none-match': etag });
    expect(rebuilt.status).toBe(304);
    publish(ctx.db, ada, Date.UTC(2026, 3, 1), { title: 'Something new' });
    const changed = await fetchText(ctx, '/feed.xml', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body).toContain('Something new');
  });
});

describe('feeds per writer and per tag', () => {
  it('hold only that writer’s or that tag’s posts, and link to themselves', async () => {
    const { ctx } = blog();
    const ada = await feeds(ctx, '/authors/ada-lovelace');
    const [adaRss, adaAtom] = parseFeeds([ada.rss.body, ada.atom.body]);
    expect(adaRss!.bozo).toBe(false);
    expect(adaRss!.feed.title).toBe('Quire: posts by Ada Lovelace');
    expect(adaRss!.feed.link).toBe('http://localhost:3000/authors/ada-lovelace');
    expect(adaRss!.entries.map((e) => e.title)).toEqual(['Fish & <Chips>']);
    expect(adaAtom!.feed.id).toBe('http://localhost:3000/authors/ada-lovelace');
    expect(ada.atom.body).toContain('<link rel="self" href="http://localhost:3000/authors/ada-lovelace/atom.xml"/>');
    expect((JSON.parse(ada.json.body) as JsonFeed).feed_url).toBe('http://localhost:3000/authors/ada-lovelace/feed.json');

    const computing = await feeds(ctx, '/tags/computing');
    expect(computing.rss.status).toBe(200);
    expect((JSON.parse(computing.json.body) as JsonFeed).items.map((i) => i.title)).toEqual(['Compilers']);
    expect(parseFeeds([computing.atom.body])[0]!.feed.title).toBe('Quire: tagged Computing');
  });

  it('are 404 for unknown writers and tags and for those with nothing published', async () => {
    const { ctx } = blog();
    const shy = makeWriter(ctx.db, 'Shy Writer');
    draft(ctx.db, shy, Date.UTC(2026, 0, 1), { title: 'Not yet', tags: ['Unseen'] });
    for (const base of ['/authors/nobody', '/tags/nothing', '/authors/shy-writer', '/tags/unseen']) {
      for (const file of ['feed.xml', 'atom.xml', 'feed.json']) {
        expect((await fetchText(ctx, `${base}/${file}`)).status, `${base}/${file}`).toBe(404);
      }
    }
  });
});

describe('XSS corpus in feeds', () => {
  it('carries none of the known vectors as live markup, and every feed stays well-formed', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    let at = Date.UTC(2026, 0, 1);
    // Twenty at a time: a feed holds the newest twenty.
    for (let start = 0; start < XSS_VECTORS.length; start += 20) {
      for (const vector of XSS_VECTORS.slice(start, start + 20)) {
        at += HOUR;
        const html = sanitizePostHtml(vector.html, { publicOrigin: ORIGIN });
        publish(ctx.db, ada, at, { title: `${vector.name} <img src=x onerror=alert(1)>`, html: `${html}<p>end</p>` });
      }
      const { rss, atom, json } = await feeds(ctx);
      const parsed = parseFeeds([rss.body, atom.body]);
      for (const feed of parsed) {
        expect(feed.wellformed).toBe(true);
        expect(feed.bozo, feed.bozo_exception).toBe(false);
        expect(feed.entries.length).toBe(20);
        for (const entry of feed.entries) expect(dangerousMarkup(entry.content[0] ?? ''), entry.title ?? '').toEqual([]);
      }
      // What we send, before any reader's own sanitizing: CDATA sections hold the HTML as is.
      for (const body of [rss.body, atom.body]) {
        for (const [, content] of body.matchAll(/<(?:content:encoded|content type="html")><!\[CDATA\[([\s\S]*?)\]\]><\/(?:content:encoded|content)>/g)) {
          expect(dangerousMarkup(content!)).toEqual([]);
        }
      }
      for (const item of (JSON.parse(json.body) as JsonFeed).items) {
        expect(dangerousMarkup(item.content_html), item.title).toEqual([]);
        // The title is plain text in JSON Feed; a reader escapes it. It is never put into content.
        expect(item.content_html).not.toContain('<img src=x');
      }
    }
  });
});

describe('absoluteUrls', () => {
  it('makes root-relative href, src and srcset absolute and leaves everything else alone', () => {
    const html = sanitizePostHtml(
      '<p><a href="/posts/a?x=1&amp;y=2#z">a</a> <a href="https://other.example/">b</a> <a href="mailto:x@example.com">c</a> text href="/not-a-link"</p><p><img src="/media/p.png" srcset="/media/p.png 1x, /media/p2.png 2x" alt="/media/alt"></p>',
      { publicOrigin: ORIGIN },
    );
    const out = absoluteUrls(html, 'https://blog.example.org');
    expect(out).toContain('<a href="https://blog.example.org/posts/a?x=1&amp;y=2#z">a</a>');
    expect(out).toContain('<a href="https://other.example/" rel="noopener noreferrer">b</a>');
    expect(out).toContain('<a href="mailto:x@example.com">c</a>');
    expect(out).toContain('text href="/not-a-link"');
    expect(out).toContain('src="https://blog.example.org/media/p.png"');
    expect(out).toContain('srcset="https://blog.example.org/media/p.png 1x, https://blog.example.org/media/p2.png 2x"');
    expect(out).toContain('alt="/media/alt"');
  });
});

describe('sitemap.xml and robots.txt', () => {
  it('lists every public page with its last change, and nothing private', async () => {
    const { ctx, ada } = blog();
    const colophon = publish(ctx.db, ada, Date.UTC(2026, 0, 5), { title: 'Colophon' });
    ctx.db.prepare("UPDATE posts SET type = 'page' WHERE id = ?").run(colophon.id);
    const sitemap = await fetchText(ctx, '/sitemap.xml');
    expect(sitemap.status).toBe(200);
    expect(sitemap.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const entries = [...sitemap.body.matchAll(/<url><loc>([^<]+)<\/loc><lastmod>([^<]+)<\/lastmod><\/url>/g)].map((m) => [m[1], m[2]]);
    const locs = entries.map(([loc]) => loc);
    for (const path of ['/', '/archive', '/about', '/archive/2026', '/authors/ada-lovelace', '/authors/grace-hopper', '/tags/food', '/tags/travel', '/tags/computing', '/posts/fish-chips', '/posts/compilers', '/colophon']) {
      expect(locs, path).toContain(`http://localhost:3000${path}`);
    }
    expect(locs).toHaveLength(12);
    for (const [, lastmod] of entries) expect(new Date(lastmod!).toISOString()).toBe(lastmod);
    expect(entries.find(([loc]) => loc === 'http://localhost:3000/posts/compilers')![1]).toBe('2026-01-02T09:00:00.000Z');
    expect(sitemap.body).not.toMatch(/secret|future|trashed|unpublished/);
    const parsed = parseFeeds([sitemap.body])[0]!;
    expect(parsed.wellformed).toBe(true);
  });

  it('points crawlers at the sitemap and away from writers’ pages and private links', async () => {
    const { ctx } = blog();
    const robots = await fetchText(ctx, '/robots.txt');
    expect(robots.status).toBe(200);
    expect(robots.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(robots.body).toContain('User-agent: *\n');
    for (const rule of ['Disallow: /write$', 'Disallow: /write/', 'Disallow: /login$', 'Disallow: /settings$', 'Disallow: /api/']) {
      expect(robots.body).toContain(`${rule}\n`);
    }
    expect(robots.body).toContain('Sitemap: http://localhost:3000/sitemap.xml\n');
    expect(robots.body).not.toMatch(/Disallow: \/\n/);
    expect(robots.body).not.toMatch(/Disallow: \/(posts|tags|authors|archive|search|feed)/);
    // Secret links stay fetchable so crawlers see their noindex header.
    expect(robots.body).not.toMatch(/Disallow: \/(preview|invite|recover)/);
    for (const secret of ['/invite/not-a-real-token', '/recover/not-a-real-token', '/preview/not-a-real-token']) {
      expect((await ctx.app.request(secret)).headers.get('x-robots-tag'), secret).toBe('noindex, nofollow');
    }
  });
});
