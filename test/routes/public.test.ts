import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPost, publishDuePosts, publishPost, trashPost, unpublishPost } from '../../src/db/posts.js';
import { saveSettings, DEFAULT_SETTINGS } from '../../src/db/settings.js';
import { DAY, HOUR, MINUTE } from '../../src/lib/clock.js';
import { sanitizePostHtml } from '../../src/lib/sanitize.js';
import { XSS_VECTORS } from '../fixtures/xss-vectors.js';
import { ORIGIN, enrol, makeApp } from '../helpers.js';
import { dangerousMarkup, draft, edit, mainOf, makeWriter, publish, schedule, scriptTags } from '../reading-fixtures.js';

type Ctx = ReturnType<typeof makeApp>;

async function page(ctx: Ctx, path: string, headers: Record<string, string> = {}) {
  const response = await ctx.client.get(path, headers);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** A blog with two writers, posts over two years, tags, and posts readers must never see. */
function blog() {
  const ctx = makeApp();
  const ada = makeWriter(ctx.db, 'Ada Lovelace');
  const grace = makeWriter(ctx.db, 'Grace Hopper');
  const t0 = Date.UTC(2025, 5, 1, 12);
  const old = publish(ctx.db, ada, t0, { title: 'An old post', html: '<p>Written last year about engines.</p>', tags: ['History'] });
  const middle = publish(ctx.db, grace, t0 + 200 * DAY, {
    title: 'Compilers for everyone',
    html: '<p>A compiler turns words into <strong>programs</strong>.</p><p>See <a href="/posts/an-old-post">the old post</a>.</p>',
    tags: ['Computing', 'History'],
  });
  const latest = publish(ctx.db, ada, t0 + 300 * DAY, {
    title: 'Notes on the Analytical Engine',
    excerpt: 'A short note, with a hand-written excerpt.',
    html: '<h2>Notes</h2><p>The engine weaves algebraic patterns.</p>',
    tags: ['Computing'],
  });
  const hiddenDraft = draft(ctx.db, ada, t0, { title: 'Secret draft', html: '<p>draftonlyword</p>', tags: ['Hidden'] });
  const hiddenScheduled = schedule(ctx.db, grace, t0, Date.UTC(2099, 0, 1), { title: 'Future post', html: '<p>scheduledonlyword</p>', tags: ['Hidden'] });
  const trashed = publish(ctx.db, ada, t0 + DAY, { title: 'Deleted post', html: '<p>trashedonlyword</p>', tags: ['Hidden'] });
  trashPost(ctx.db, trashed.id, t0 + 2 * DAY);
  const unpublished = publish(ctx.db, grace, t0 + 2 * DAY, { title: 'Taken back', html: '<p>unpublishedonlyword</p>', tags: ['Hidden'] });
  unpublishPost(ctx.db, unpublished.id, t0 + 3 * DAY);
  return { ctx, ada, grace, old, middle, latest, hidden: [hiddenDraft, hiddenScheduled, getPost(ctx.db, trashed.id)!, getPost(ctx.db, unpublished.id)!] };
}

const PUBLIC_PAGES = ['/', '/posts/notes-on-the-analytical-engine', '/archive', '/archive/2025', '/archive/2026', '/authors/ada-lovelace', '/tags/computing', '/search', '/search?q=engine', '/about'];

describe('home page', () => {
  it('lists published posts newest first with title, date, author and excerpt', async () => {
    const { ctx } = blog();
    const { status, html } = await page(ctx, '/');
    expect(status).toBe(200);
    const main = mainOf(html);
    const titles = [...main.matchAll(/<h2><a href="([^"]+)">([^<]+)<\/a><\/h2>/g)].map((m) => m[2]);
    expect(titles).toEqual(['Notes on the Analytical Engine', 'Compilers for everyone', 'An old post']);
    expect(main).toContain('<a href="/authors/grace-hopper">Grace Hopper</a>');
    expect(main).toMatch(/<time datetime="2026-03-28T12:00:00.000Z">28 March 2026<\/time>/);
    // The writer's excerpt where there is one, the opening of the text otherwise.
    expect(main).toContain('A short note, with a hand-written excerpt.');
    expect(main).toContain('A compiler turns words into programs. See the old post.');
  });

  it('paginates ten at a time with ?page=N and 404s for pages that do not exist', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    for (let i = 1; i <= 23; i++) publish(ctx.db, ada, Date.UTC(2026, 0, i), { title: `Post number ${i}` });
    const first = await page(ctx, '/');
    expect(first.html.match(/class="summary"/g)).toHaveLength(10);
    expect(first.html).toContain('Post number 23');
    expect(first.html).toContain('<a href="/?page=2" rel="next">');
    expect(first.html).toContain('Page 1 of 3');
    const third = await page(ctx, '/?page=3');
    expect(third.status).toBe(200);
    expect(third.html.match(/class="summary"/g)).toHaveLength(3);
    expect(third.html).toContain('Post number 1<');
    expect(third.html).toContain('<a href="/?page=2" rel="prev">');
    expect(third.html).toContain('<link rel="canonical" href="http://localhost:3000/?page=3"/>');
    for (const bad of ['/?page=4', '/?page=0', '/?page=-1', '/?page=abc', '/?page=1.5', '/?page=99999999']) {
      expect((await page(ctx, bad)).status, bad).toBe(404);
    }
  });

  it('says so when nothing is published yet', async () => {
    const ctx = makeApp();
    const { status, html } = await page(ctx, '/');
    expect(status).toBe(200);
    expect(html).toContain('Nothing published yet');
  });
});

describe('post page', () => {
  it('shows title, linked author, date, content, linked tags and its neighbours', async () => {
    const { ctx } = blog();
    const { status, html } = await page(ctx, '/posts/compilers-for-everyone');
    expect(status).toBe(200);
    const main = mainOf(html);
    expect(main).toContain('<h1>Compilers for everyone</h1>');
    expect(main).toContain('By <a href="/authors/grace-hopper">Grace Hopper</a>');
    expect(main).toContain('<time datetime="2025-12-18T12:00:00.000Z">18 December 2025</time>');
    expect(main).toContain('<p>A compiler turns words into <strong>programs</strong>.</p>');
    expect(main).toContain('<a href="/tags/computing" rel="tag">Computing</a>');
    expect(main).toContain('<a href="/tags/history" rel="tag">History</a>');
    expect(main).toMatch(/<a href="\/posts\/notes-on-the-analytical-engine" class="newer"><span class="muted">Newer<\/span>Notes on the Analytical Engine<\/a>/);
    expect(main).toMatch(/<a href="\/posts\/an-old-post" class="older"><span class="muted">Older<\/span>An old post<\/a>/);
    expect(main).not.toContain('Updated');
  });

  it('says "Updated" only after an edit marked significant, and a typo fix changes no date', async () => {
    const { ctx, ada, latest } = blog();
    const typoFix = edit(ctx.db, ada, latest, Date.UTC(2026, 4, 1), { html: '<h2>Notes</h2><p>The engine weaves algebraical patterns.</p>' });
    let html = mainOf((await page(ctx, '/posts/notes-on-the-analytical-engine')).html);
    expect(html).toContain('algebraical');
    expect(html).not.toContain('Updated');
    expect(html).toContain('28 March 2026');
    edit(ctx.db, ada, typoFix, Date.UTC(2026, 4, 2), { html: '<h2>Notes</h2><p>A new section.</p>' }, true);
    html = mainOf((await page(ctx, '/posts/notes-on-the-analytical-engine')).html);
    expect(html).toContain('Updated <time datetime="2026-05-02T00:00:00.000Z">2 May 2026</time>');
    expect(html).toContain('28 March 2026');
  });

  it('serves pages (type "page") at the root, without byline', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    const colophon = publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Colophon', html: '<p>Set in system fonts.</p>' });
    ctx.db.prepare("UPDATE posts SET type = 'page' WHERE id = ?").run(colophon.id);
    const { status, html } = await page(ctx, '/colophon');
    expect(status).toBe(200);
    expect(html).toContain('<h1>Colophon</h1>');
    expect(html).not.toContain('class="byline"');
    expect((await page(ctx, '/posts/colophon')).status).toBe(404);
    // Pages are not posts: not on the home page or in the archive.
    expect((await page(ctx, '/')).html).not.toContain('Colophon');
  });

  it('answers 301 from an old address after a slug change, also through several changes', async () => {
    const { ctx, ada, latest } = blog();
    const renamed = edit(ctx.db, ada, latest, Date.UTC(2026, 4, 1), { slug: 'engine-notes' });
    edit(ctx.db, ada, renamed, Date.UTC(2026, 4, 2), { slug: 'the-engine' });
    for (const old of ['/posts/notes-on-the-analytical-engine', '/posts/engine-notes']) {
      const response = await ctx.client.get(old);
      expect(response.status, old).toBe(301);
      expect(response.headers.get('location')).toBe('/posts/the-engine');
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    }
    expect((await page(ctx, '/posts/the-engine')).status).toBe(200);
  });

  it('redirects slugs in any script with a percent-encoded Location', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    const post = publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Καλημέρα κόσμε' });
    expect(post.slug).toBe('καλημερα-κοσμε');
    edit(ctx.db, ada, post, Date.UTC(2026, 0, 2), { slug: 'γεια' });
    const response = await ctx.client.get('/posts/%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%B5%CF%81%CE%B1-%CE%BA%CE%BF%CF%83%CE%BC%CE%B5');
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/posts/%CE%B3%CE%B5%CE%B9%CE%B1');
    expect((await ctx.client.get('/posts/%CE%B3%CE%B5%CE%B9%CE%B1')).status).toBe(200);
  });

  it('gives a friendly 404 for unknown addresses', async () => {
    const { ctx } = blog();
    for (const missing of ['/posts/nope', '/nope', '/authors/nobody', '/tags/nothing', '/archive/1999', '/archive/0042', '/deep/er/path', '/posts/']) {
      const { status, html } = await page(ctx, missing);
      expect(status, missing).toBe(404);
      expect(html).toContain('Page not found');
      expect(html).toContain('<a href="/search">search</a>');
    }
  });
});

describe('posts readers must never see', () => {
  it('keeps drafts, scheduled, trashed and unpublished posts off every public page', async () => {
    const { ctx, hidden } = blog();
    for (const post of hidden) {
      expect((await page(ctx, `/posts/${post.slug}`)).status, post.title).toBe(404);
    }
    expect((await page(ctx, '/tags/hidden')).status).toBe(404);
    const everything = [];
    for (const path of [...PUBLIC_PAGES, '/search?q=draftonlyword', '/search?q=scheduledonlyword', '/search?q=trashedonlyword', '/search?q=unpublishedonlyword']) {
      const { status, html } = await page(ctx, path);
      expect(status, path).toBe(200);
      everything.push(html);
    }
    const all = everything.join('\n');
    for (const word of ['Secret draft', 'Future post', 'Deleted post', 'Taken back', 'draftonlyword</', 'Hidden']) {
      expect(all).not.toContain(word);
    }
    expect(all).toContain('Nothing found for “draftonlyword”');
  });

  it('shows a scheduled post once its time has come', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    const at = Date.UTC(2026, 0, 2);
    schedule(ctx.db, ada, Date.UTC(2026, 0, 1), at, { title: 'Right on time' });
    expect((await page(ctx, '/posts/right-on-time')).status).toBe(404);
    publishDuePosts(ctx.db, at);
    expect((await page(ctx, '/posts/right-on-time')).status).toBe(200);
    expect((await page(ctx, '/')).html).toContain('Right on time');
  });

  it('gives no public page to a writer who has published nothing', async () => {
    const ctx = makeApp();
    const shy = makeWriter(ctx.db, 'Shy Writer');
    draft(ctx.db, shy, Date.UTC(2026, 0, 1), { title: 'Not yet' });
    expect((await page(ctx, '/authors/shy-writer')).status).toBe(404);
    expect((await page(ctx, '/about')).html).not.toContain('Shy Writer');
    expect((await page(ctx, '/archive')).html).not.toContain('Shy Writer');
  });
});

describe('archive, authors and tags', () => {
  it('lists years, writers and tags, and every post of a year by month', async () => {
    const { ctx } = blog();
    const archive = mainOf((await page(ctx, '/archive')).html);
    expect(archive).toContain('<a href="/archive/2026">2026</a> <span class="muted">1 post</span>');
    expect(archive).toContain('<a href="/archive/2025">2025</a> <span class="muted">2 posts</span>');
    expect(archive.indexOf('2026')).toBeLessThan(archive.indexOf('2025'));
    expect(archive).toContain('<a href="/authors/ada-lovelace">Ada Lovelace</a>');
    expect(archive).toContain('<a href="/tags/computing">Computing</a> <span class="muted">2</span>');
    const year = mainOf((await page(ctx, '/archive/2025')).html);
    expect(year).toContain('<h1>Posts from 2025</h1>');
    expect(year).toContain('<h2>December</h2>');
    expect(year).toContain('<h2>June</h2>');
    expect(year.indexOf('Compilers for everyone')).toBeLessThan(year.indexOf('An old post'));
    expect(year).not.toContain('Notes on the Analytical Engine');
  });

  it('has a page per writer and per tag, each offering its own feeds', async () => {
    const { ctx } = blog();
    const ada = await page(ctx, '/authors/ada-lovelace');
    expect(ada.status).toBe(200);
    expect(mainOf(ada.html)).toContain('<h1>Posts by Ada Lovelace</h1>');
    expect(mainOf(ada.html)).toContain('Notes on the Analytical Engine');
    expect(mainOf(ada.html)).toContain('An old post');
    expect(mainOf(ada.html)).not.toContain('Compilers');
    expect(ada.html).toContain('<link rel="alternate" type="application/rss+xml" title="Quire: posts by Ada Lovelace (RSS)" href="http://localhost:3000/authors/ada-lovelace/feed.xml"/>');
    expect(ada.html).toContain('href="http://localhost:3000/authors/ada-lovelace/atom.xml"');
    expect(ada.html).toContain('href="http://localhost:3000/authors/ada-lovelace/feed.json"');
    expect(ada.html).toContain('href="http://localhost:3000/feed.xml"');

    const tag = await page(ctx, '/tags/history');
    expect(mainOf(tag.html)).toContain('<h1>Posts tagged “History”</h1>');
    expect(mainOf(tag.html)).toContain('Compilers for everyone');
    expect(mainOf(tag.html)).toContain('An old post');
    expect(mainOf(tag.html)).not.toContain('Notes on the Analytical Engine');
    expect(tag.html).toContain('href="http://localhost:3000/tags/history/feed.json"');
  });
});

describe('search', () => {
  it('finds published posts and highlights the matched words', async () => {
    const { ctx } = blog();
    const { status, html } = await page(ctx, '/search?q=compiler');
    expect(status).toBe(200);
    const main = mainOf(html);
    expect(main).toContain('1 result for “compiler”');
    expect(main).toContain('<a href="/posts/compilers-for-everyone">Compilers for everyone</a>');
    expect(main).toMatch(/<mark>compiler<\/mark> turns words/i);
    expect(html).toContain('<meta name="robots" content="noindex, nofollow"/>');
    expect(main).toContain('<input type="search" id="q" name="q" value="compiler"');
  });

  it('shows the form alone when nothing was asked', async () => {
    const { ctx } = blog();
    const { status, html } = await page(ctx, '/search');
    expect(status).toBe(200);
    expect(html).toContain('<form method="get" action="/search" role="search"');
    expect(html).not.toContain('class="results"');
    expect(html).not.toContain('noindex');
  });

  it('escapes post text in snippets; only its own <mark> is markup', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    publish(ctx.db, ada, Date.UTC(2026, 0, 1), {
      title: 'About tags',
      html: '<p>Never write &lt;script&gt;alert(1)&lt;/script&gt; or &lt;img src=x onerror=alert(2)&gt; into a needle page.</p>',
    });
    const { html } = await page(ctx, '/search?q=needle');
    const results = html.slice(html.indexOf('<ol class="results">'), html.indexOf('</ol>'));
    expect(results).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(results).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(results).toContain('<mark>needle</mark>');
    expect(dangerousMarkup(results)).toEqual([]);
    expect(scriptTags(html)).toEqual([]);
  });

  it('takes any input without an error: FTS syntax, quotes, unicode, junk', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Café crème', html: '<p>Ein Straßencafé in Zürich, 東京の喫茶店, and a 🚀 launch.</p>' });
    const queries = ['"', '""', '*', 'NEAR(', 'NEAR(a b', ')', 'a AND', 'OR', 'NOT x', 'title:café', '^start', 'a"b', "'; DROP TABLE posts; --", '%', '\\', '🚀', '\u0000', '\u0002x\u0003', 'x'.repeat(5000), '%E0%A4%A'];
    for (const q of queries) {
      const response = await ctx.client.get(`/search?q=${encodeURIComponent(q)}`);
      expect(response.status, JSON.stringify(q.slice(0, 20))).toBe(200);
      const html = await response.text();
      expect(scriptTags(html)).toEqual([]);
      expect(html).not.toContain('\u0002');
    }
    const malformed = await ctx.client.get('/search?q=%E0%A4%A');
    expect(malformed.status).toBe(200);
    expect(mainOf((await page(ctx, '/search?q=cafe')).html)).toContain('1 result for “cafe”');
    expect(mainOf((await page(ctx, '/search?q=zurich')).html)).toContain('<mark>Zürich</mark>');
    expect(mainOf((await page(ctx, '/search?q=東京の喫茶店')).html)).toContain('1 result');
    const echoed = mainOf((await page(ctx, `/search?q=${encodeURIComponent('<b>"x"</b>')}`)).html);
    expect(echoed).toContain('value="&lt;b&gt;&quot;x&quot;&lt;/b&gt;"');
    expect(echoed).toContain('Nothing found for “&lt;b&gt;&quot;x&quot;&lt;/b&gt;”');
  });

  it('pages through many results', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    for (let i = 0; i < 25; i++) publish(ctx.db, ada, Date.UTC(2026, 0, 1 + i), { title: `Walrus ${i}`, html: '<p>walrus facts</p>' });
    const first = await page(ctx, '/search?q=walrus');
    expect(first.html).toContain('25 results');
    expect(first.html.match(/<li><h2>/g)).toHaveLength(20);
    expect(first.html).toContain('<a href="/search?q=walrus&amp;page=2" rel="next">');
    const second = await page(ctx, '/search?q=walrus&page=2');
    expect(second.html.match(/<li><h2>/g)).toHaveLength(5);
    expect((await page(ctx, '/search?q=walrus&page=3')).status).toBe(404);
  });

  it('stops counting at 1,000 matches and still pages through them, ranked', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Walrus', html: '<p>The walrus.</p>' });
    // Many more matches, written straight to the table (the triggers index them as a save would).
    const insert = ctx.db.prepare(
      `INSERT INTO posts (uid, author_id, title, slug, html, text, status, created_at, updated_at, published_at)
       VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?)`,
    );
    ctx.db.transaction(() => {
      for (let i = 0; i < 1000; i++) {
        const at = Date.UTC(2025, 0, 1) + i * MINUTE;
        insert.run(`uid-${i}`, ada.author.id, `Notes ${i}`, `notes-${i}`, '<p>A walrus, among other animals.</p>', 'A walrus, among other animals.', at, at, at);
      }
    })();
    const first = await page(ctx, '/search?q=walrus');
    expect(mainOf(first.html)).toContain('More than 1,000 results for “walrus”.');
    expect(first.html).toContain('Page 1 of 50');
    // The title match ranks first.
    expect(mainOf(first.html).match(/<li><h2><a href="([^"]+)"/)?.[1]).toBe('/posts/walrus');
    expect(first.html.match(/<li><h2>/g)).toHaveLength(20);
    expect((await page(ctx, '/search?q=walrus&page=50')).html.match(/<li><h2>/g)).toHaveLength(20);
    expect((await page(ctx, '/search?q=walrus&page=51')).status).toBe(404);
    expect(mainOf((await page(ctx, '/search?q=animals+walrus+notes+999')).html)).toContain('1 result for');
  });
});

describe('about page and footer', () => {
  it('shows the about text as paragraphs, escaped, with the writers', async () => {
    const { ctx } = blog();
    saveSettings(ctx.db, { ...DEFAULT_SETTINGS, about: 'We write about machines.\n\nSecond paragraph,\nwith a line break and <script>alert(1)</script>.' });
    const { status, html } = await page(ctx, '/about');
    expect(status).toBe(200);
    const main = mainOf(html);
    expect(main).toContain('<p>We write about machines.</p>');
    expect(main).toContain('<p>Second paragraph,<br/>with a line break and &lt;script&gt;alert(1)&lt;/script&gt;.</p>');
    expect(main).toContain('<a href="/authors/grace-hopper">Grace Hopper</a>');
    expect(scriptTags(html)).toEqual([]);
  });

  it('puts about, archive, search and the feeds in every public page’s footer', async () => {
    const { ctx } = blog();
    for (const path of PUBLIC_PAGES) {
      const { html } = await page(ctx, path);
      const footer = html.slice(html.indexOf('<footer class="site-footer">'));
      for (const link of ['/about', '/archive', '/search', '/feed.xml', '/atom.xml', '/feed.json']) expect(footer, `${path} ${link}`).toContain(`href="${link}"`);
    }
  });
});

describe('what every public page carries', () => {
  it('has a title, description, canonical URL, OpenGraph and Twitter tags and feed links, and no script', async () => {
    const { ctx } = blog();
    for (const path of PUBLIC_PAGES) {
      const { status, html } = await page(ctx, path);
      expect(status, path).toBe(200);
      const head = html.slice(0, html.indexOf('</head>'));
      expect(head, path).toMatch(/<title>[^<]+<\/title>/);
      expect(head, path).toMatch(/<meta name="description" content="[^"]+"\/>/);
      expect(head, path).toMatch(/<link rel="canonical" href="http:\/\/localhost:3000\/[^"]*"\/>/);
      for (const property of ['og:title', 'og:description', 'og:url', 'og:type', 'og:site_name']) {
        expect(head, `${path} ${property}`).toMatch(new RegExp(`<meta property="${property}" content="[^"]+"/>`));
      }
      expect(head, path).toContain('<meta name="twitter:card" content="summary"/>');
      expect(head, path).toContain('<link rel="alternate" type="application/rss+xml" title="Quire (RSS)" href="http://localhost:3000/feed.xml"/>');
      expect(head, path).toContain('<link rel="alternate" type="application/atom+xml" title="Quire (Atom)" href="http://localhost:3000/atom.xml"/>');
      expect(head, path).toContain('<link rel="alternate" type="application/feed+json" title="Quire (JSON Feed)" href="http://localhost:3000/feed.json"/>');
      expect(scriptTags(html), path).toEqual([]);
      // Nothing is fetched from anywhere but this blog.
      for (const [, url] of html.matchAll(/<(?:link|img|source|iframe|video|audio)\b[^>]*?\s(?:href|src)="([^"]+)"/g)) {
        expect(url!.startsWith('/') || url!.startsWith(ORIGIN), `${path}: ${url}`).toBe(true);
      }
    }
  });

  it('marks a post up as an article with its dates, author and tags', async () => {
    const { ctx } = blog();
    const { html } = await page(ctx, '/posts/compilers-for-everyone');
    expect(html).toContain('<title>Compilers for everyone · Quire</title>');
    expect(html).toContain('<meta name="description" content="A compiler turns words into programs. See the old post."/>');
    expect(html).toContain('<link rel="canonical" href="http://localhost:3000/posts/compilers-for-everyone"/>');
    expect(html).toContain('<meta property="og:type" content="article"/>');
    expect(html).toContain('<meta property="article:published_time" content="2025-12-18T12:00:00.000Z"/>');
    expect(html).toContain('<meta property="article:author" content="http://localhost:3000/authors/grace-hopper"/>');
    expect(html).toContain('<meta property="article:tag" content="Computing"/>');
  });

  it('does not depend on who is asking: a signed-in owner gets the same bytes as anyone', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const ada = makeWriter(ctx.db);
    publish(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Shared' });
    const signedIn = await client.get('/posts/shared');
    const signedInHtml = await signedIn.text();
    expect(signedInHtml).not.toContain('Sign out');
    expect(scriptTags(signedInHtml)).toEqual([]);
    const anonymous = await ctx.client.get('/posts/shared');
    expect(await anonymous.text()).toBe(signedInHtml);
    expect(anonymous.headers.get('etag')).toBe(signedIn.headers.get('etag'));
  });
});

describe('settings readers see', () => {
  it('never leaves a page or a feed without a description when the owner blanks it', async () => {
    const { ctx } = blog();
    saveSettings(ctx.db, { ...DEFAULT_SETTINGS, title: 'Field Notes', description: '' });
    for (const path of ['/', '/about', '/archive']) {
      const head = (await page(ctx, path)).html.split('</head>')[0]!;
      expect(head, path).toMatch(/<meta name="description" content="[^"]+"\/>/);
      expect(head, path).toMatch(/<meta property="og:description" content="[^"]+"\/>/);
    }
    expect((await page(ctx, '/')).html).toContain('<meta name="description" content="The latest posts on Field Notes."/>');
    // The about page shows no empty paragraph where the description would be.
    expect(mainOf((await page(ctx, '/about')).html)).not.toContain('<p></p>');
    const rss = await (await ctx.client.get('/feed.xml')).text();
    expect(rss).toContain('<description>The latest posts on Field Notes.</description>');
  });
});

describe('the stylesheet', () => {
  it('is one small file under a hashed URL, cached for good', async () => {
    const { ctx } = blog();
    const { html } = await page(ctx, '/posts/compilers-for-everyone');
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(sheets).toHaveLength(1);
    expect(sheets[0]).toMatch(/^\/static\/app\.[0-9a-f]{12}\.css$/);
    const css = await ctx.client.get(sheets[0]!);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = await css.text();
    expect(body.length).toBeLessThan(20_000);
    expect(body).toContain('prefers-color-scheme: dark');
    // Nothing in it reaches beyond this blog (fonts, images, imports).
    expect(body).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//);
    expect((await ctx.client.get(sheets[0]!, { 'if-none-match': css.headers.get('etag')! })).status).toBe(304);
  });
});

describe('the footer', () => {
  it('offers writers a way in on every public page, which are the same for everyone', async () => {
    const { ctx } = blog();
    for (const path of PUBLIC_PAGES) {
      const { html } = await page(ctx, path);
      expect(html.slice(html.indexOf('<footer class="site-footer">')), path).toContain('<a href="/write">Writers’ sign-in</a>');
    }
  });
});

describe('conditional GET and the page cache', () => {
  it('sends ETag, Last-Modified and a shared Cache-Control, and answers 304', async () => {
    const { ctx } = blog();
    const first = await ctx.client.get('/');
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(new Date(lastModified).toUTCString()).toBe(lastModified);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=600');

    const byTag = await ctx.client.get('/', { 'if-none-match': etag });
    expect(byTag.status).toBe(304);
    expect(await byTag.text()).toBe('');
    expect(byTag.headers.get('etag')).toBe(etag);
    expect((await ctx.client.get('/', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
    expect((await ctx.client.get('/', { 'if-none-match': '"other"' })).status).toBe(200);
    expect((await ctx.client.get('/', { 'if-modified-since': lastModified })).status).toBe(304);
    expect((await ctx.client.get('/', { 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status).toBe(200);
    // If-None-Match decides when both are sent (RFC 9110).
    expect((await ctx.client.get('/', { 'if-none-match': '"other"', 'if-modified-since': lastModified })).status).toBe(200);
    const head = await ctx.client.request('/', { method: 'HEAD', headers: { 'if-none-match': etag } });
    expect(head.status).toBe(304);
  });

  it('stops confirming a copy as soon as public content changes', async () => {
    const { ctx, ada } = blog();
    const before = await ctx.client.get('/');
    const etag = before.headers.get('etag')!;
    const beforeHtml = await before.text();
    publish(ctx.db, ada, Date.UTC(2026, 5, 1), { title: 'Brand new' });
    const after = await ctx.client.get('/', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Brand new');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(beforeHtml).not.toContain('Brand new');

    // Settings are public too.
    const etag2 = after.headers.get('etag')!;
    saveSettings(ctx.db, { ...DEFAULT_SETTINGS, title: 'Renamed blog' });
    const renamed = await ctx.client.get('/', { 'if-none-match': etag2 });
    expect(renamed.status).toBe(200);
    expect(await renamed.text()).toContain('Renamed blog');
  });

  it('notices changes written by another process (the CLI) to the same database file', async () => {
    const { ctx, latest } = blog();
    const etag = (await ctx.client.get('/posts/notes-on-the-analytical-engine')).headers.get('etag')!;
    const other = new Database(path.join(ctx.dataDir, 'quire.db'));
    try {
      other.prepare('UPDATE posts SET title = ? WHERE id = ?').run('Retitled elsewhere', latest.id);
    } finally {
      other.close();
    }
    const after = await ctx.client.get('/posts/notes-on-the-analytical-engine', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Retitled elsewhere');
  });

  it('does not let a changed draft invalidate anything, and serves the same bytes again', async () => {
    const { ctx, ada, hidden } = blog();
    const first = await ctx.client.get('/');
    edit(ctx.db, ada, hidden[0]!, Date.UTC(2026, 0, 1), { title: 'Still a secret' });
    const second = await ctx.client.get('/', { 'if-none-match': first.headers.get('etag')! });
    expect(second.status).toBe(304);
  });

  it('keeps a response with a renewed session cookie out of shared caches', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const anonymous = await ctx.client.get('/');
    expect(anonymous.headers.getSetCookie()).toEqual([]);
    expect(anonymous.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=600');
    // Sessions slide: a request a few minutes later renews the cookie. Once from the cache, once freshly rendered.
    for (const path of ['/', '/archive']) {
      ctx.clock.advance(5 * MINUTE);
      const response = await client.get(path);
      expect(response.headers.getSetCookie().length, path).toBe(1);
      expect(response.headers.get('cache-control'), path).toBe('private, no-cache');
    }
    expect((await ctx.client.get('/archive')).headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=600');
  });
});

describe('the markup checker these tests rely on', () => {
  it('catches live markup and ignores escaped text', () => {
    expect(dangerousMarkup('<img src=x onerror=alert(1)>')).toHaveLength(1);
    expect(dangerousMarkup('<a href="jav&#x09;ascript:alert(1)">x</a>')).toHaveLength(1);
    expect(dangerousMarkup('<a href=" JAVASCRIPT:alert(1)">x</a>')).toHaveLength(1);
    expect(dangerousMarkup('<p style="color:red">x</p>')).toHaveLength(1);
    expect(dangerousMarkup('<svg><p>')).toHaveLength(1);
    expect(dangerousMarkup('<p>&lt;img src=x onerror=alert(1)&gt; onclick=x</p>')).toEqual([]);
    expect(dangerousMarkup('<img src="/media/a.png" alt="&quot; onerror=&quot;alert(1)">')).toEqual([]);
    expect(scriptTags('<p>x</p><SCRIPT src=x></SCRIPT>')).toHaveLength(1);
  });
});

describe('XSS corpus through sanitizer, storage and public pages', () => {
  it('shows none of the known vectors as live markup on post, home, tag or search pages', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    let at = Date.UTC(2026, 0, 1);
    for (const vector of XSS_VECTORS) {
      at += HOUR;
      // The same path a writer's save takes: sanitize, then store.
      const html = sanitizePostHtml(vector.html, { publicOrigin: ORIGIN });
      const post = publish(ctx.db, ada, at, { title: `xss ${vector.name} <script>alert(1)</script>`, html: `${html}<p>xssmarker</p>`, tags: ['xss'] });
      const postPage = await page(ctx, `/posts/${post.slug}`);
      expect(postPage.status, vector.name).toBe(200);
      expect(scriptTags(postPage.html), vector.name).toEqual([]);
      expect(dangerousMarkup(mainOf(postPage.html)), vector.name).toEqual([]);
    }
    for (let p = 1; p <= Math.ceil(XSS_VECTORS.length / 10); p++) {
      for (const path of [`/?page=${p}`, `/tags/xss?page=${p}`]) {
        const { html } = await page(ctx, path);
        expect(scriptTags(html), path).toEqual([]);
        expect(dangerousMarkup(mainOf(html)), path).toEqual([]);
      }
    }
    for (const path of ['/search?q=xss', '/search?q=alert', '/search?q=xssmarker', '/search?q=onerror', '/archive/2026']) {
      const { html } = await page(ctx, path);
      expect(scriptTags(html), path).toEqual([]);
      const main = mainOf(html);
      const results = main.includes('<ol class="results">') ? main.slice(main.indexOf('<ol class="results">')) : main;
      expect(dangerousMarkup(results), path).toEqual([]);
    }
  });
});

describe('page directly after publishing', () => {
  it('appears at once on the home page (the cache follows public_state)', async () => {
    const ctx = makeApp();
    const ada = makeWriter(ctx.db);
    expect((await page(ctx, '/')).html).toContain('Nothing published yet');
    const post = draft(ctx.db, ada, Date.UTC(2026, 0, 1), { title: 'Fresh' });
    expect((await page(ctx, '/')).html).toContain('Nothing published yet');
    publishPost(ctx.db, post.id, Date.UTC(2026, 0, 1));
    expect((await page(ctx, '/')).html).toContain('Fresh');
    trashPost(ctx.db, post.id, Date.UTC(2026, 0, 2));
    expect((await page(ctx, '/')).html).toContain('Nothing published yet');
    expect((await page(ctx, '/posts/fresh')).status).toBe(404);
  });
});
