// The owners' settings page: "Import from Ghost" (an upload with its own, larger body limit) and
// "Export everything" (a .tar.gz download), through real HTTP on a real database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { readTarGz } from '../../src/lib/archive.js';
import { ghostExport } from '../fixtures/ghost.js';
import { makeImage } from '../fixtures/images.js';
import { enrol, makeApp } from '../helpers.js';

function counts(db: Db) {
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
  return Object.fromEntries(['posts', 'authors', 'tags', 'post_tags', 'redirects', 'revisions', 'imported_posts'].map((t) => [t, count(t)]));
}

function upload(content: string | Uint8Array, name = 'ghost-export.json') {
  const form = new FormData();
  form.append('file', new File([typeof content === 'string' ? content : new Uint8Array(content)], name, { type: 'application/json' }));
  return { method: 'POST', body: form };
}

describe('settings: import from Ghost', () => {
  it('shows the form to owners, imports an uploaded export and shows the report', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Olive Owner');
    const page = await (await client.get('/settings')).text();
    expect(page).toContain('<form method="post" action="/settings/import" enctype="multipart/form-data"');
    expect(page).toContain('name="file" type="file"');
    expect(page).toContain('href="/settings/export"');

    // About 1.2 MB: more than the 1 MB every other form may send.
    const file = JSON.stringify(ghostExport({ posts: 500, pages: 2, users: 2, tags: 4 }));
    expect(file.length).toBeGreaterThan(1024 * 1024);
    const response = await client.request('/settings/import', upload(file));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('notice-success');
    expect(html).toContain('Imported 500 posts and 2 pages (442 published, 20 scheduled, 40 drafts)');
    expect(html).toContain('New bylines (no account yet): Grace Hopper, Writer 2.');
    expect(counts(ctx.db).posts).toBe(502);
    expect((await ctx.client.get('/posts/post-1')).status).toBe(200);
    const old = await ctx.client.get('/post-1/');
    expect(old.status).toBe(301);
    expect(old.headers.get('location')).toBe('/posts/post-1');

    // The same file again adds nothing, and says so.
    const before = counts(ctx.db);
    const again = await (await client.request('/settings/import', upload(file))).text();
    expect(again).toContain('502 already imported before: left as they are.');
    expect(counts(ctx.db)).toEqual(before);
  });

  it('turns pictures embedded as data: URLs into media files the imported post shows', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Olive Owner');
    const file = ghostExport({ posts: 1, pages: 0 });
    const png = (await makeImage('png', 640, 480)).toString('base64');
    file.db[0]!.data.posts[0]!.html = `<p>Embedded:</p><figure><img src="data:image/png;base64,${png}" alt="Inline"></figure>`;
    expect((await client.request('/settings/import', upload(JSON.stringify(file)))).status).toBe(200);
    const html = ctx.db.prepare('SELECT html FROM posts').pluck().get() as string;
    expect(html).not.toContain('data:');
    const src = html.match(/<img src="(\/media\/[0-9a-f]{32}\.png)" alt="Inline" width="640" height="480"/)?.[1];
    expect(src).toBeDefined();
    expect((await ctx.client.get(src!)).status).toBe(200);
  });

  it('gives posts with no known Ghost author the importing owner’s byline', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Olive Owner');
    const file = ghostExport({ posts: 2, pages: 0 });
    file.db[0]!.data.posts_authors = [];
    for (const post of file.db[0]!.data.posts) delete post.author_id;
    expect((await client.request('/settings/import', upload(JSON.stringify(file)))).status).toBe(200);
    expect(ctx.db.prepare('SELECT DISTINCT a.name FROM posts p JOIN authors a ON a.id = p.author_id').pluck().all()).toEqual(['Olive Owner']);
  });

  it('turns away a bad file with a clear message and changes nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx);
    const before = counts(ctx.db);
    const cases: [string | Uint8Array, RegExp][] = [
      ['this is not json {', /not a Ghost export: the file is not valid JSON/],
      [JSON.stringify({ db: [{ data: { users: [] } }] }), /not a Ghost export: it has no list of posts/],
      [JSON.stringify({ db: [{ data: { posts: [], tags: 'nope' } }] }), /damaged: &quot;tags&quot; is not a list/],
      [new Uint8Array([0xff, 0xfe, 0x00, 0x01]), /not valid JSON/],
    ];
    for (const [content, message] of cases) {
      const response = await client.request('/settings/import', upload(content));
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('notice-error');
      expect(html).toMatch(message);
      expect(html).toContain('Nothing was imported.');
      expect(html).toContain('<h1>Blog settings</h1>'); // the page around it, so the owner can try again
      expect(counts(ctx.db)).toEqual(before);
    }
    const empty = await client.request('/settings/import', { method: 'POST', body: new FormData() });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Choose the .json file Ghost exported');
    expect(counts(ctx.db)).toEqual(before);
  });

  it('refuses files over 50 MB before reading them, and keeps the 1 MB limit everywhere else', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx);
    const before = counts(ctx.db);
    const huge = new Uint8Array(50 * 1024 * 1024 + 100 * 1024).fill(0x20);
    const response = await client.request('/settings/import', upload(huge));
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('larger than 50 MB');
    expect(counts(ctx.db)).toEqual(before);

    // The exemption is for this one path: the settings form itself still stops at 1 MB.
    const big = await client.post('/settings', { title: 'T', language: 'en', description: '', about: 'a'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
    const near = await client.request('/settings/import/', upload(huge.subarray(0, 2 * 1024 * 1024)));
    expect(near.status).toBe(413);
  });

  it('is for owners only, and only from the blog’s own pages', async () => {
    const ctx = makeApp();
    const { client: writer } = await enrol(ctx, 'writer');
    const file = JSON.stringify(ghostExport({ posts: 2, pages: 0 }));
    expect((await writer.request('/settings/import', upload(file))).status).toBe(403);
    expect((await writer.get('/settings/export')).status).toBe(403);
    const anonymous = await ctx.client.request('/settings/import', upload(file));
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login/);
    expect((await ctx.client.get('/settings/export')).status).toBe(303);

    const { client: owner } = await enrol(ctx, 'owner');
    const crossSite = await owner.request('/settings/import', { ...upload(file), headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(counts(ctx.db).posts).toBe(0);
    // Control: the same upload from the blog's own page goes through.
    expect((await owner.request('/settings/import', upload(file))).status).toBe(200);
    expect(counts(ctx.db).posts).toBe(2);
  });
});

describe('settings: export everything', () => {
  it('downloads every post and page as Markdown and HTML plus blog.json, drafts and trash included', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Olive Owner');
    await client.request('/settings/import', upload(JSON.stringify(ghostExport({ posts: 12, pages: 1, users: 1, tags: 2 }))));
    const draft = Number((await client.post('/write/new')).headers.get('location')!.split('/').pop());
    await client.postJson(`/api/posts/${draft}`, { baseRevision: 1, title: 'Still a “draft”: yes', html: '<p>Not <em>yet</em>.</p>' });
    const trashed = ctx.db.prepare("SELECT id FROM posts WHERE slug = 'post-2'").pluck().get() as number;
    await client.post(`/write/${trashed}/delete`);

    const response = await client.get('/settings/export');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="quire-export-2026-11-23.tar.gz"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const entries = readTarGz(new Uint8Array(await response.arrayBuffer()));
    const file = (name: string) => entries.find((e) => e.name === `quire-export-2026-11-23/${name}`)?.data.toString('utf8');
    const names = entries.map((e) => e.name.replace(/^quire-export-2026-11-23\//, ''));
    expect(names.filter((n) => n.endsWith('.md'))).toHaveLength(14);
    expect(names.filter((n) => n.endsWith('.html'))).toHaveLength(14);
    expect(names).toEqual(expect.arrayContaining(['README.txt', 'blog.json', 'posts/post-1.md', 'posts/post-1.html', 'pages/about-13.md', 'trash/post-2.md']));

    const md = file('posts/post-1.md')!;
    expect(md).toMatch(/^---\ntitle: "Post number 1"\nslug: "post-1"\ntype: "post"\nstatus: "published"\ndraft: false\n/);
    expect(md).toContain('author: "Grace Hopper"');
    expect(md).toContain('tags: ["Topic 1"]');
    expect(md).toContain('url: "http://localhost:3000/posts/post-1"');
    expect(md).toContain('## Section 1');
    // Links inside the blog point at the blog, so they still work from a file.
    expect(md).toContain('[a link](http://localhost:3000/post-2/)');
    const mine = file(`posts/${ctx.db.prepare('SELECT slug FROM posts WHERE id = ?').pluck().get(draft) as string}.md`)!;
    expect(mine).toContain('title: "Still a “draft”: yes"');
    expect(mine).toContain('draft: true');
    expect(mine).toContain('Not *yet*.');
    expect(file('posts/post-1.html')).toContain('<h1>Post number 1</h1>');

    const blog = JSON.parse(file('blog.json')!) as { blog: { title: string; url: string }; posts: { slug: string; status: string; inTrash: boolean; html: string }[] };
    expect(blog.blog).toMatchObject({ title: 'Quire', url: 'http://localhost:3000' });
    expect(blog.posts).toHaveLength(14);
    expect(blog.posts.find((p) => p.slug === 'post-2')).toMatchObject({ inTrash: true });
    expect(blog.posts.find((p) => p.slug === 'post-1')!.html).toContain('<h2>Section 1</h2>');
  });

  it('includes the pictures the posts show, and the Markdown and HTML point at them', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner', 'Olive Owner');
    const uploaded = await client.request('/api/media', {
      method: 'POST',
      body: new Uint8Array(await makeImage('jpeg', 1200, 800)),
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(uploaded.status).toBe(201);
    const picture = (await uploaded.json()) as { url: string };
    const id = Number((await client.post('/write/new')).headers.get('location')!.split('/').pop());
    await client.postJson(`/api/posts/${id}`, { baseRevision: 1, title: 'With a picture', html: `<p>Look:</p><p><img src="${picture.url}" alt="A lake"></p>` });

    const entries = readTarGz(new Uint8Array(await (await client.get('/settings/export')).arrayBuffer()));
    const root = 'quire-export-2026-11-23/';
    const name = picture.url.replace('/media/', '');
    const file = entries.find((e) => e.name === `${root}media/${name}`);
    expect(file?.data.equals(readFileSync(path.join(ctx.config.dataDir, 'media', name)))).toBe(true);
    // The smaller srcset version comes along too: every file the post refers to.
    expect(entries.filter((e) => e.name.startsWith(`${root}media/`)).length).toBeGreaterThanOrEqual(2);
    const md = entries.find((e) => e.name === `${root}posts/with-a-picture.md`)!.data.toString('utf8');
    expect(md).toContain(`![A lake](../media/${name})`);
    const html = entries.find((e) => e.name === `${root}posts/with-a-picture.html`)!.data.toString('utf8');
    expect(html).toContain(`src="../media/${name}"`);
  });
});
