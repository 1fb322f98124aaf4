import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { authorForUser, getPost, getPublishedBySlug, listPublishedPosts } from '../../src/db/posts.js';
import { insertUser } from '../../src/db/users.js';
import { describeImport, importGhost, ImportError, MAX_IMPORT_BYTES, plaintextToHtml, RESERVED_PAGE_SLUGS } from '../../src/import/ghost.js';
import { ghostExport, ghostId } from '../fixtures/ghost.js';
import { makeApp } from '../helpers.js';

const ORIGIN = 'http://localhost:3000';
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

function snapshot(db: Db) {
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
  return Object.fromEntries(['posts', 'authors', 'tags', 'post_tags', 'redirects', 'revisions', 'imported_posts'].map((t) => [t, count(t)]));
}

describe('Ghost import', () => {
  it('brings posts and pages over with status, dates, slugs, bylines, tags and clean HTML', () => {
    const { db } = makeApp();
    const file = ghostExport({ posts: 25, pages: 1, users: 2, tags: 3 });
    const report = importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });

    expect(report).toMatchObject({ posts: 25, pages: 1, published: 23, drafts: 2, scheduled: 1, alreadyImported: 0, skipped: [] });
    expect(report.authorsCreated).toEqual(['Grace Hopper', 'Writer 2']);
    expect(report.tags).toBe(2); // the internal "#newsletter" tag is Ghost's bookkeeping
    expect(report.notes.join('\n')).toMatch(/26 images were left out/);

    const ghost = file.db[0]!.data.posts[0]!;
    const post = getPublishedBySlug(db, 'post', 'post-1')!;
    expect(post.title).toBe('Post number 1');
    expect(post.uid).toBe(ghost.uuid);
    expect(post.createdAt).toBe(Date.parse(ghost.created_at));
    expect(post.updatedAt).toBe(Date.parse(ghost.updated_at));
    expect(post.publishedAt).toBe(Date.parse(ghost.published_at!));
    expect(post.author).toMatchObject({ name: 'Grace Hopper', slug: 'grace', userId: null });
    expect(post.tags.map((t) => t.name)).toEqual(['Topic 1', 'Topic 2']);
    expect(post.excerpt).toBe('');
    expect(getPublishedBySlug(db, 'post', 'post-2')!.excerpt).toBe('Excerpt of 2');
    // Sanitized: Ghost's figure/class markup gone, __GHOST_URL__ links made root-relative, code language kept.
    expect(post.html).toContain('<h2>Section 1</h2>');
    expect(post.html).toContain('<a href="/post-2/">a link</a>');
    expect(post.html).toContain('<pre data-language="js"><code>const x = 1 &lt; 2;</code></pre>');
    expect(post.html).not.toMatch(/<img|class=|id=|__GHOST_URL__|<figure/);
    expect(post.wordCount).toBeGreaterThan(100);
    expect(post.text).toContain('Section 1');
    // History starts with the imported version.
    expect(db.prepare('SELECT count(*) FROM revisions WHERE post_id = ?').pluck().get(post.id)).toBe(1);

    const draft = db.prepare("SELECT status, published_at FROM posts WHERE slug = 'post-10'").get();
    expect(draft).toEqual({ status: 'draft', published_at: null });
    const scheduled = db.prepare("SELECT status, published_at FROM posts WHERE slug = 'post-25'").get() as { status: string; published_at: number };
    expect(scheduled.status).toBe('scheduled');
    expect(scheduled.published_at).toBe(Date.parse(file.db[0]!.data.posts[24]!.published_at!));
    expect(getPublishedBySlug(db, 'page', 'about-26')!.type).toBe('page');
  });

  it('answers the old Ghost addresses, with and without the slash, with 301s to the new ones', async () => {
    const { db, app } = makeApp();
    importGhost(db, JSON.stringify(ghostExport({ posts: 3, pages: 1 })), { publicOrigin: ORIGIN, now: NOW });
    for (const [old, now] of [
      ['/post-1/', '/posts/post-1'],
      ['/post-1', '/posts/post-1'],
      ['/about-4/', '/about-4'],
    ] as const) {
      const response = await app.request(ORIGIN + old);
      expect(response.status, old).toBe(301);
      expect(response.headers.get('location'), old).toBe(now);
    }
    expect((await app.request(`${ORIGIN}/posts/post-1`)).status).toBe(200);
    expect((await app.request(`${ORIGIN}/about-4`)).status).toBe(200);
    // Control: an address Ghost never had is still a 404.
    expect((await app.request(`${ORIGIN}/post-999/`)).status).toBe(404);
  });

  it('imports the same file twice without duplicating anything', () => {
    const { db } = makeApp();
    const file = JSON.stringify(ghostExport({ posts: 12, pages: 2 }));
    const first = importGhost(db, file, { publicOrigin: ORIGIN, now: NOW });
    const after = snapshot(db);
    const second = importGhost(db, file, { publicOrigin: ORIGIN, now: NOW + 1000 });
    expect(snapshot(db)).toEqual(after);
    expect(first.posts + first.pages).toBe(14);
    expect(second).toMatchObject({ posts: 0, pages: 0, alreadyImported: 14, redirects: 0, authorsCreated: [] });
    expect(describeImport(second).join('\n')).toMatch(/14 already imported before/);
  });

  it('matches Ghost authors to existing bylines by name, and keeps accounts their posts', () => {
    const { db } = makeApp();
    const user = insertUser(db, { username: 'calm-otter-1234', displayName: 'grace hopper', role: 'writer', passwordHash: 'x', createdAt: NOW });
    const byline = authorForUser(db, user);
    const report = importGhost(db, JSON.stringify(ghostExport({ posts: 4, pages: 0, users: 2 })), { publicOrigin: ORIGIN, now: NOW });
    expect(report.authorsMatched).toEqual(['Grace Hopper → grace hopper']);
    expect(report.authorsCreated).toEqual(['Writer 2']);
    const post = getPublishedBySlug(db, 'post', 'post-1')!;
    expect(post.author.id).toBe(byline.id);
    expect(post.author.userId).toBe(user.id);
  });

  it('keeps existing posts and Quire’s own addresses: taken slugs get a new one, and say so', () => {
    const { db } = makeApp();
    importGhost(db, JSON.stringify(ghostExport({ posts: 1, pages: 0 })), { publicOrigin: ORIGIN, now: NOW });
    const file = ghostExport({ posts: 1, pages: 1 });
    const [post, page] = file.db[0]!.data.posts;
    post!.uuid = '11111111-2222-4333-8444-555555555555';
    post!.id = ghostId(9, 1);
    page!.slug = 'about';
    const report = importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });
    expect(report.posts).toBe(1);
    expect(getPublishedBySlug(db, 'post', 'post-1-2')!.uid).toBe(post!.uuid);
    expect(getPublishedBySlug(db, 'page', 'about-page')).not.toBeNull();
    expect(report.notes.join('\n')).toMatch(/2 addresses had to change.*\/posts\/post-1-2 \(was \/post-1\/\).*\/about-page \(was \/about\/\)/);
  });

  it('falls back to the plain text when the HTML is empty', () => {
    const { db } = makeApp();
    const file = ghostExport({ posts: 1, pages: 0 });
    const post = file.db[0]!.data.posts[0]!;
    post.html = '';
    post.plaintext = 'First <paragraph> & more.\n\nSecond line one\nline two';
    importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });
    expect(getPublishedBySlug(db, 'post', 'post-1')!.html).toBe('<p>First &lt;paragraph&gt; &amp; more.</p><p>Second line one<br />line two</p>');
    expect(plaintextToHtml('a\r\n\r\nb')).toBe('<p>a</p><p>b</p>');
  });

  it('drops scripts and data: URLs in imported HTML', () => {
    const { db } = makeApp();
    const file = ghostExport({ posts: 1, pages: 0 });
    file.db[0]!.data.posts[0]!.html =
      '<p>Hi<script>alert(1)</script><img src="data:image/png;base64,iVBORw0KGgo="><a href="javascript:alert(1)">x</a><img src="x" onerror="alert(1)"></p>';
    const report = importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });
    expect(getPublishedBySlug(db, 'post', 'post-1')!.html).toBe('<p>Hix</p>');
    expect(report.notes.join('\n')).toMatch(/2 images were left out/);
  });

  it('reads older exports: `page: true`, dates without a zone, "sent" newsletters, missing authors', () => {
    const { db } = makeApp();
    const file = ghostExport({ posts: 3, pages: 0, users: 0 });
    const [a, b, c] = file.db[0]!.data.posts;
    delete a!.type;
    a!.page = true;
    a!.created_at = '2014-05-01 10:00:00';
    a!.published_at = '2014-05-02 10:00:00';
    delete b!.type;
    c!.status = 'sent';
    const report = importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });
    expect(report).toMatchObject({ pages: 1, posts: 2, drafts: 1 });
    const page = getPublishedBySlug(db, 'page', 'post-1')!;
    expect(page.createdAt).toBe(Date.UTC(2014, 4, 1, 10));
    expect(page.publishedAt).toBe(Date.UTC(2014, 4, 2, 10));
    expect(page.author.name).toBe('Ghost import');
    expect(report.notes.join('\n')).toMatch(/1 newsletter-only post was imported as a draft/);
  });

  it('refuses a bad file with a clear error and changes nothing', () => {
    const { db } = makeApp();
    importGhost(db, JSON.stringify(ghostExport({ posts: 2, pages: 0 })), { publicOrigin: ORIGIN, now: NOW });
    const before = snapshot(db);
    const bad: [string | Buffer, RegExp][] = [
      ['{ this is not json', /not valid JSON/],
      ['', /not valid JSON/],
      ['[1, 2, 3]', /no list of posts/],
      [JSON.stringify({ db: [{ data: { posts: {} } }] }), /no list of posts/],
      [JSON.stringify({ db: [{ data: { posts: [], tags: 'oops' } }] }), /"tags" is not a list/],
      [Buffer.alloc(MAX_IMPORT_BYTES + 1, 0x20), /up to 50 MB/],
    ];
    for (const [input, message] of bad) {
      expect(() => importGhost(db, input, { publicOrigin: ORIGIN, now: NOW })).toThrow(ImportError);
      expect(() => importGhost(db, input, { publicOrigin: ORIGIN, now: NOW })).toThrow(message);
    }
    expect(snapshot(db)).toEqual(before);
  });

  it('rolls back everything when the import fails half-way', () => {
    const { db } = makeApp();
    const before = snapshot(db);
    const file = ghostExport({ posts: 30, pages: 0 });
    // A post whose title is an object passes the shape checks but makes the database refuse it late.
    db.exec("CREATE TRIGGER fail_on_post_20 BEFORE INSERT ON posts WHEN new.slug = 'post-20' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW })).toThrow(/disk full/);
    expect(snapshot(db)).toEqual(before);
  });

  it('skips items it cannot place, and says why', () => {
    const { db } = makeApp();
    const file = ghostExport({ posts: 3, pages: 0 });
    const [a, b] = file.db[0]!.data.posts;
    a!.created_at = 'yesterday-ish';
    (b as { type: string }).type = 'newsletter';
    const report = importGhost(db, JSON.stringify(file), { publicOrigin: ORIGIN, now: NOW });
    expect(report.posts).toBe(1);
    expect(report.skipped).toEqual([
      { title: 'Post number 1', reason: 'its creation date is missing or unreadable' },
      { title: 'Post number 2', reason: 'Quire has no equivalent of Ghost\'s "newsletter" type' },
    ]);
  });

  it('imports 500 posts in one go', () => {
    const { db } = makeApp();
    const json = JSON.stringify(ghostExport({ posts: 500, pages: 5, users: 4, tags: 12 }));
    const report = importGhost(db, json, { publicOrigin: ORIGIN, now: NOW });
    expect(report.posts).toBe(500);
    expect(report.pages).toBe(5);
    expect(db.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(505);
    expect(listPublishedPosts(db, {}, 1000).length).toBe(440); // 20 scheduled, 40 drafts
    // Posts get /slug and /slug/; pages already live at /slug, so only /slug/ redirects.
    expect(report.redirects).toBe(2 * 440 + 5);
    expect(getPost(db, 1)!.html.length).toBeGreaterThan(500);
  });

  it('knows every first path segment Quire answers itself, so no page hides behind one', () => {
    const { app } = makeApp();
    const segments = new Set(
      app.routes
        .map((route) => route.path.split('/')[1] ?? '')
        .filter((segment) => segment !== '' && !segment.includes(':') && !segment.includes('*') && !segment.includes('.')),
    );
    for (const segment of segments) expect(RESERVED_PAGE_SLUGS.has(segment), `/${segment}`).toBe(true);
  });
});
