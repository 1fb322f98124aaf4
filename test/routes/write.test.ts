import { describe, expect, it } from 'vitest';
import { getPost, listRevisions, publishDuePosts } from '../../src/db/posts.js';
import { runJobs } from '../../src/jobs.js';
import { DAY, HOUR, MINUTE } from '../../src/lib/clock.js';
import { parseLocalDateTime } from '../../src/routes/write.js';
import { Client, enrol, makeApp } from '../helpers.js';

async function newPost(client: Awaited<ReturnType<typeof enrol>>['client']): Promise<number> {
  const response = await client.post('/write/new');
  expect(response.status).toBe(303);
  return Number(response.headers.get('location')!.split('/').pop());
}

interface SaveBody {
  post: { revision: number; slug: string; [key: string]: unknown };
  [key: string]: unknown;
}

async function save(client: Awaited<ReturnType<typeof enrol>>['client'], id: number, body: Record<string, unknown>) {
  const response = await client.postJson(`/api/posts/${id}`, body);
  return { status: response.status, body: (await response.json()) as SaveBody };
}

describe('autosave', () => {
  it('saves sanitized content and bumps the revision', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    const editor = await client.get(`/write/${id}`);
    expect(editor.status).toBe(200);
    const html = await editor.text();
    expect(html).toMatch(/data-revision="1"/);
    expect(html).toMatch(/vendor\/quill\.[0-9a-f]{12}\.js/);

    const saved = await save(client, id, {
      baseRevision: 1,
      title: 'My first  post',
      html: '<p>Hello <strong>world</strong><img src=x onerror=alert(1)><script>alert(1)</script></p>',
      tags: 'Travel, food, travel',
    });
    expect(saved.status).toBe(200);
    expect(saved.body.post.revision).toBe(2);
    expect(saved.body.post.slug).toBe('my-first-post');
    const post = getPost(ctx.db, id)!;
    expect(post.title).toBe('My first post');
    expect(post.html).toBe('<p>Hello <strong>world</strong></p>');
    expect(post.wordCount).toBe(2);
    expect(post.tags.map((t) => t.name)).toEqual(['Travel', 'food']);
  });

  it('refuses a save based on an old revision with 409 and the current version, overwriting nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    expect((await save(client, id, { baseRevision: 1, title: 'Tab A', html: '<p>from A</p>' })).status).toBe(200);
    const stale = await save(client, id, { baseRevision: 1, title: 'Tab B', html: '<p>from B</p>' });
    expect(stale.status).toBe(409);
    expect(stale.body.current).toMatchObject({ revision: 2, title: 'Tab A', html: '<p>from A</p>' });
    expect(getPost(ctx.db, id)!.html).toBe('<p>from A</p>');
    // The writer chose to keep theirs: a save based on the revision they now know about.
    expect((await save(client, id, { baseRevision: 2, title: 'Tab B', html: '<p>from B</p>' })).status).toBe(200);
    expect(getPost(ctx.db, id)!.html).toBe('<p>from B</p>');
  });

  it('answers a signed-out save with 401 JSON, never a redirect', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await client.post('/logout');
    const response = await save(client, id, { baseRevision: 1, title: 'x', html: '<p>x</p>' });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('signed-out');
  });

  it('rejects malformed saves with 400, not 500', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    for (const body of ['not json', '[]', 'null', '{"title":"no base"}']) {
      const response = await client.request(`/api/posts/${id}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(response.status, body).toBe(400);
    }
  });

  it('keeps writers out of each other’s posts, and lets owners in', async () => {
    const ctx = makeApp();
    const owner = await enrol(ctx, 'owner', 'Owner');
    const alice = await enrol(ctx, 'writer', 'Alice');
    const bob = await enrol(ctx, 'writer', 'Bob');
    const id = await newPost(alice.client);
    expect((await bob.client.get(`/write/${id}`)).status).toBe(404);
    expect((await save(bob.client, id, { baseRevision: 1, title: 'hijack', html: '' })).status).toBe(404);
    expect((await bob.client.post(`/write/${id}/publish`)).status).toBe(404);
    expect((await owner.client.get(`/write/${id}`)).status).toBe(200);
    const bobsDashboard = await (await bob.client.get('/write')).text();
    expect(bobsDashboard).not.toContain(`/write/${id}"`);
    const ownersDashboard = await (await owner.client.get('/write')).text();
    expect(ownersDashboard).toContain(`/write/${id}"`);
    expect(ownersDashboard).toContain('Alice');
  });
});

describe('revisions', () => {
  it('coalesces a writing session into one entry and starts a new one after a pause', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    let revision = 1;
    for (let i = 1; i <= 50; i++) {
      ctx.clock.advance(3_000);
      const r = await save(client, id, { baseRevision: revision, title: 'Draft', html: `<p>${'word '.repeat(i)}</p>` });
      revision = r.body.post.revision;
    }
    expect(listRevisions(ctx.db, id)).toHaveLength(1);
    const endOfSession = getPost(ctx.db, id)!.html;
    expect(endOfSession.match(/word/g)).toHaveLength(50);
    ctx.clock.advance(2 * HOUR);
    const r = await save(client, id, { baseRevision: revision, title: 'Draft', html: '<p>next day</p>' });
    revision = r.body.post.revision;
    const history = listRevisions(ctx.db, id);
    expect(history).toHaveLength(2);
    expect(history[1]!.html).toBe(endOfSession);
    // A save that changes nothing but tags adds no history.
    await save(client, id, { baseRevision: revision, title: 'Draft', html: '<p>next day</p>', tags: 'x' });
    expect(listRevisions(ctx.db, id)).toHaveLength(2);
  });

  it('shows an earlier version and restores it, keeping the replaced text in history', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await save(client, id, { baseRevision: 1, title: 'Old', html: '<p>old words</p>' });
    ctx.clock.advance(DAY);
    await save(client, id, { baseRevision: 2, title: 'New', html: '<p>new words</p>' });
    const [newest, oldest] = listRevisions(ctx.db, id);
    const page = await client.get(`/write/${id}/revisions/${oldest!.id}`);
    expect(await page.text()).toContain('old words');
    const restored = await client.post(`/write/${id}/revisions/${oldest!.id}/restore`);
    expect(restored.headers.get('location')).toBe(`/write/${id}?done=restored`);
    expect(getPost(ctx.db, id)!.html).toBe('<p>old words</p>');
    const history = listRevisions(ctx.db, id);
    expect(history).toHaveLength(3);
    expect(history.map((r) => r.html)).toContain(newest!.html);
  });
});

describe('publishing', () => {
  it('publishes, keeps the first date through typo fixes, and moves the update date only when asked', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await save(client, id, { baseRevision: 1, title: 'Hello', html: '<p>Hello</p>' });
    await client.post(`/write/${id}/publish`);
    const published = getPost(ctx.db, id)!;
    expect(published.status).toBe('published');
    const firstDate = published.publishedAt;

    ctx.clock.advance(HOUR);
    await save(client, id, { baseRevision: published.revision, title: 'Hello', html: '<p>Helo fixed</p>' });
    expect(getPost(ctx.db, id)!.publishedAt).toBe(firstDate);
    expect(getPost(ctx.db, id)!.significantUpdateAt).toBeNull();

    ctx.clock.advance(HOUR);
    await save(client, id, { baseRevision: getPost(ctx.db, id)!.revision, title: 'Hello', html: '<p>A big change</p>', significant: true });
    expect(getPost(ctx.db, id)!.significantUpdateAt).toBe(ctx.clock.now());

    await client.post(`/write/${id}/unpublish`);
    expect(getPost(ctx.db, id)!.status).toBe('draft');
    await client.post(`/write/${id}/publish`);
    expect(getPost(ctx.db, id)!.publishedAt).toBe(firstDate);
  });

  it('records the old address when a published post’s slug changes', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await save(client, id, { baseRevision: 1, title: 'First title', html: '<p>x</p>' });
    await client.post(`/write/${id}/publish`);
    await save(client, id, { baseRevision: 2, title: 'First title', slug: 'Better Address', html: '<p>x</p>' });
    expect(getPost(ctx.db, id)!.slug).toBe('better-address');
    expect(ctx.db.prepare('SELECT path FROM redirects WHERE post_id = ?').pluck().all(id)).toEqual(['/posts/first-title']);
  });

  it('schedules for a future time, refuses the past, and goes live with nobody present', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await save(client, id, { baseRevision: 1, title: 'Later', html: '<p>x</p>' });
    const past = await client.post(`/write/${id}/schedule`, { publish_at: '2020-01-01T10:00', tz_offset: '0' });
    expect(past.status).toBe(400);
    expect(await past.text()).toContain('already passed');
    const bad = await client.post(`/write/${id}/schedule`, { publish_at: 'tomorrow', tz_offset: '0' });
    expect(bad.status).toBe(400);

    const at = new Date(ctx.clock.now() + DAY);
    const local = at.toISOString().slice(0, 16);
    expect((await client.post(`/write/${id}/schedule`, { publish_at: local, tz_offset: '0' })).status).toBe(303);
    expect(getPost(ctx.db, id)!.status).toBe('scheduled');
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect(getPost(ctx.db, id)!.status).toBe('scheduled');
    ctx.clock.advance(DAY);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect(getPost(ctx.db, id)!.status).toBe('published');
    expect(publishDuePosts(ctx.db, ctx.clock.now())).toBe(0);
  });

  it('parses the writer’s local time with their offset', () => {
    // UTC+2 (getTimezoneOffset() = -120): 10:00 local is 08:00 UTC.
    expect(parseLocalDateTime('2026-12-01T10:00', '-120')).toBe(Date.UTC(2026, 11, 1, 8, 0));
    expect(parseLocalDateTime('2026-12-01T10:00', '300')).toBe(Date.UTC(2026, 11, 1, 15, 0));
    expect(parseLocalDateTime('2026-12-01 10:00', '0')).toBeNull();
    expect(parseLocalDateTime('2026-12-01T10:00', '9999')).toBeNull();
  });

  it('moves deleted posts to the trash, restores them, and empties the trash after 30 days', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    await save(client, id, { baseRevision: 1, title: 'Doomed', html: '<p>x</p>' });
    await client.post(`/write/${id}/publish`);
    expect((await client.post(`/write/${id}/delete`)).headers.get('location')).toBe('/write?done=deleted');
    expect(getPost(ctx.db, id)!.deletedAt).not.toBeNull();
    expect(await (await client.get('/write/trash')).text()).toContain('Doomed');
    expect((await client.get(`/write/${id}`)).status).toBe(404);
    await client.post(`/write/${id}/restore`);
    expect(getPost(ctx.db, id)).toMatchObject({ deletedAt: null, status: 'published' });

    await client.post(`/write/${id}/delete`);
    ctx.clock.advance(29 * DAY);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect(getPost(ctx.db, id)).not.toBeNull();
    ctx.clock.advance(DAY + MINUTE);
    runJobs({ db: ctx.db, clock: ctx.clock });
    expect(getPost(ctx.db, id)).toBeNull();
  });

  it('filters the dashboard by title', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const a = await newPost(client);
    await save(client, a, { baseRevision: 1, title: 'Apples in autumn', html: '<p>x</p>' });
    const b = await newPost(client);
    await save(client, b, { baseRevision: 1, title: 'Pears', html: '<p>x</p>' });
    const page = await (await client.get('/write?q=apple')).text();
    expect(page).toContain('Apples in autumn');
    expect(page).not.toContain('Pears');
    expect(await (await client.get('/write?q=%25')).text()).toContain('No post titles contain');
  });
});

describe('preview links', () => {
  it('creates an unguessable link shown once, and revokes it', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    const created = await client.post(`/write/${id}/preview-links`);
    expect(created.status).toBe(201);
    const link = (await created.text()).match(/http:\/\/localhost:3000\/preview\/([A-Za-z0-9_-]{27})/)![1]!;
    const stored = ctx.db.prepare('SELECT token_hash FROM preview_links').pluck().get() as Buffer;
    expect(stored.toString('base64url')).not.toBe(link);
    const reader = new Client(ctx.app, ctx.config.origin);
    await save(client, id, { baseRevision: 1, title: 'Secret draft', html: '<p>For friends only</p>' });
    const preview = await reader.get(`/preview/${link}`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('x-robots-tag')).toContain('noindex');
    expect(preview.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await preview.text();
    expect(html).toContain('For friends only');
    expect(html).toContain('noindex');
    expect(html).not.toContain('<script');
    expect((await client.get(`/write/${id}/preview`)).status).toBe(200);
    await client.post(`/write/${id}/preview-links/revoke`);
    expect(ctx.db.prepare('SELECT count(*) FROM preview_links WHERE revoked_at IS NULL').pluck().get()).toBe(0);
    expect((await reader.get(`/preview/${link}`)).status).toBe(404);
  });
});
