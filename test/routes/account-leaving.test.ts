import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPost, postPath } from '../../src/db/posts.js';
import { getUserByUsername } from '../../src/db/users.js';
import { HOUR, MINUTE } from '../../src/lib/clock.js';
import { passwordStep, type Ctx } from '../auth/flows.js';
import { makeImage } from '../fixtures/images.js';
import { Client, enrol, makeApp, tempDir } from '../helpers.js';

const PYTHON = '/usr/bin/python3';

/** Writes a post through the editor's endpoints: two writing sessions (two revisions), optionally published. */
async function writePost(ctx: Ctx, client: Client, title: string, { publish = false } = {}): Promise<number> {
  const created = await client.post('/write/new');
  const id = Number(created.headers.get('location')!.split('/').pop());
  const first = await client.postJson(`/api/posts/${id}`, { baseRevision: 1, title, html: `<p>First draft of ${title}.</p>`, tags: 'Travel' });
  const { post } = (await first.json()) as { post: { revision: number } };
  ctx.clock.advance(HOUR); // a new writing session: a second entry in the history
  await client.postJson(`/api/posts/${id}`, { baseRevision: post.revision, title, html: `<p>The <em>final</em> text of ${title}.</p>`, tags: 'Travel' });
  if (publish) await client.post(`/write/${id}/publish`);
  return id;
}

/** Every file in a zip, read by Python's zipfile: an unzipper Quire had no hand in. */
function unzip(zip: Buffer): Record<string, string> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is needed to read the archive independently`);
  const file = path.join(tempDir(), 'export.zip');
  writeFileSync(file, zip);
  // Pictures come back as "sha256:<hex>", the rest as text.
  const script =
    'import hashlib,json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n' +
    'print(json.dumps({n: ("sha256:" + hashlib.sha256(z.read(n)).hexdigest()) if "/media/" in n else z.read(n).decode("utf-8") for n in z.namelist()}))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Record<string, string>;
}

describe('downloading everything I wrote', () => {
  it('is one zip with each post and every saved version as Markdown and HTML, and JSON about them', async () => {
    const ctx = makeApp();
    const { client, username } = await enrol(ctx, 'writer', 'Ada Writer');
    const other = await enrol(ctx, 'writer', 'Grace');
    await writePost(ctx, client, 'Letters from Lisbon', { publish: true });
    await writePost(ctx, client, 'Unfinished thoughts');
    await writePost(ctx, other.client, 'Not mine');

    const response = await client.get('/account/export');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const root = `quire-${username}-2026-11-23`;
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${root}.zip"`);
    const files = unzip(Buffer.from(await response.arrayBuffer()));
    const names = Object.keys(files).sort();
    // The clock is the test's: the first post was saved at 09:00 and 10:00, the second at 10:00 and 11:00.
    const postFiles = (folder: string, times: string[]) => [
      `posts/${folder}/post.html`,
      `posts/${folder}/post.json`,
      `posts/${folder}/post.md`,
      ...times.flatMap((time, n) => ['html', 'md'].map((ext) => `posts/${folder}/revisions/00${n + 1}-2026-11-23T${time}-00-00Z.${ext}`)),
    ];
    expect(names).toEqual(
      ['README.txt', 'account.json', ...postFiles('001-letters-from-lisbon', ['09', '10']), ...postFiles('002-unfinished-thoughts', ['10', '11'])].map(
        (name) => `${root}/${name}`,
      ),
    );
    expect(JSON.stringify(files)).not.toContain('Not mine');

    const post = (name: string) => files[`${root}/posts/001-letters-from-lisbon/${name}`]!;
    expect(post('post.md')).toBe('# Letters from Lisbon\n\nThe *final* text of Letters from Lisbon.\n');
    expect(post('post.html')).toContain('<p>The <em>final</em> text of Letters from Lisbon.</p>');
    const meta = JSON.parse(post('post.json'));
    expect(meta).toMatchObject({ title: 'Letters from Lisbon', status: 'published', tags: ['Travel'], byline: 'Ada Writer', url: expect.stringMatching(/^http:\/\/localhost:3000\//) });
    expect(meta.revisions).toHaveLength(2);
    const firstRevision = files[`${root}/posts/001-letters-from-lisbon/${meta.revisions[0].markdown}`]!;
    expect(firstRevision).toContain('First draft of Letters from Lisbon.');
    const account = JSON.parse(files[`${root}/account.json`]!);
    expect(account.account).toMatchObject({ username, displayName: 'Ada Writer', role: 'writer' });
    expect(account.posts.map((p: { title: string }) => p.title)).toEqual(['Letters from Lisbon', 'Unfinished thoughts']);
    // Nothing about how the account signs in travels in the archive.
    expect(JSON.stringify(files)).not.toMatch(/argon2|password_hash|passwordHash/);
  });
});

describe('deleting an account', () => {
  it('deletes the posts with it when the writer says so, and signs them out for good', async () => {
    const ctx = makeApp();
    await enrol(ctx, 'owner', 'Olive Owner');
    const { client, username, password } = await enrol(ctx, 'writer', 'Ada Writer');
    const kept = await enrol(ctx, 'writer', 'Grace');
    const published = await writePost(ctx, client, 'Going away', { publish: true });
    const address = postPath(getPost(ctx.db, published)!);
    const graces = await writePost(ctx, kept.client, 'Staying');
    expect((await new Client(ctx.app, ctx.config.origin).get(address)).status).toBe(200);
    await client.post('/account/confirm', { password, next: '/account/delete' });

    const page = await client.get('/account/delete');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('What should happen to your post?');
    const response = await client.post('/account/delete', { posts: 'delete', confirm: ` ${username.toUpperCase()} ` });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your posts and everything else about your account are gone.');
    expect(client.cookies.has('quire_session')).toBe(false);

    expect(getUserByUsername(ctx.db, username)).toBeNull();
    expect(getPost(ctx.db, published)).toBeNull();
    expect(ctx.db.prepare('SELECT count(*) FROM revisions WHERE post_id = ?').pluck().get(published)).toBe(0);
    expect(getPost(ctx.db, graces)).not.toBeNull();
    expect((await new Client(ctx.app, ctx.config.origin).get(address)).status).toBe(404);
    expect((await passwordStep(ctx, username, password)).response.status).toBe(401);
  });

  it('hands the posts to an owner, who then carries them under their name', async () => {
    const ctx = makeApp();
    const owner = await enrol(ctx, 'owner', 'Olive Owner');
    const { client, username, password } = await enrol(ctx, 'writer', 'Ada Writer');
    const id = await writePost(ctx, client, 'Handed over', { publish: true });
    const ownerUser = getUserByUsername(ctx.db, owner.username)!;
    ctx.clock.advance(MINUTE);
    await client.post('/account/confirm', { password, next: '/account/delete' });

    const response = await client.post('/account/delete', { posts: 'hand', heir: String(ownerUser.id), confirm: username });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your posts now belong to Olive Owner.');
    const post = getPost(ctx.db, id)!;
    expect(post.status).toBe('published');
    expect(ctx.db.prepare('SELECT count(*) FROM revisions WHERE post_id = ?').pluck().get(id)).toBe(2);
    const html = await (await new Client(ctx.app, ctx.config.origin).get(postPath(post))).text();
    expect(html).toContain('Olive Owner');
    expect(html).not.toContain('Ada Writer');
    expect(await (await owner.client.get('/write')).text()).toContain('Handed over');
  });

  it('re-renders the form with the choices kept and each problem named', async () => {
    const ctx = makeApp();
    const owner = await enrol(ctx, 'owner', 'Olive Owner');
    const { client, username, password } = await enrol(ctx, 'writer');
    const ownerUser = getUserByUsername(ctx.db, owner.username)!;
    await writePost(ctx, client, 'Kept for now');
    await client.post('/account/confirm', { password, next: '/account/delete' });

    const nothing = await client.post('/account/delete', {});
    expect(nothing.status).toBe(400);
    const nothingHtml = await nothing.text();
    expect(nothingHtml).toContain('Choose what happens to your posts.');
    expect(nothingHtml).toContain(`Type your username, ${username}, exactly as shown.`);

    const typo = await client.post('/account/delete', { posts: 'hand', heir: String(ownerUser.id), confirm: 'someone-else-1234' });
    expect(typo.status).toBe(400);
    const typoHtml = await typo.text();
    expect(typoHtml).toMatch(/<input type="radio" name="posts" value="hand" checked/);
    expect(typoHtml).toMatch(new RegExp(`<option value="${ownerUser.id}" selected`));
    expect(typoHtml).toContain('value="someone-else-1234"');
    expect(typoHtml).not.toContain('Choose what happens to your posts.');

    const notAnOwner = await client.post('/account/delete', { posts: 'hand', heir: '999', confirm: username });
    expect(notAnOwner.status).toBe(400);
    expect(await notAnOwner.text()).toContain('Choose the owner who receives your posts.');
    expect(getUserByUsername(ctx.db, username)).not.toBeNull();

    // And it needs a recent sign-in, like every change that cannot be undone.
    ctx.clock.advance(10 * MINUTE);
    const stale = await client.post('/account/delete', { posts: 'delete', confirm: username }, { referer: `${ctx.config.origin}/account/delete` });
    expect(stale.headers.get('location')).toBe('/account/confirm?next=%2Faccount%2Fdelete');
    expect(getUserByUsername(ctx.db, username)).not.toBeNull();
  });

  it('refuses the last owner until they hand ownership to someone', async () => {
    const ctx = makeApp();
    const owner = await enrol(ctx, 'owner', 'Olive Owner');
    const writer = await enrol(ctx, 'writer', 'Wren Writer');
    const writerUser = getUserByUsername(ctx.db, writer.username)!;

    const page = await owner.client.get('/account/delete');
    const html = await page.text();
    expect(html).toContain('You are the only owner of this blog');
    expect(html).not.toContain('name="confirm"');
    const refused = await owner.client.post('/account/delete', { posts: 'delete', confirm: owner.username });
    expect(refused.status).toBe(409);
    expect(getUserByUsername(ctx.db, owner.username)).not.toBeNull();

    expect((await owner.client.post(`/members/${writerUser.id}/make-owner`)).headers.get('location')).toBe('/members?promoted=1');
    expect(getUserByUsername(ctx.db, writer.username)!.role).toBe('owner');
    const left = await owner.client.post('/account/delete', { posts: 'hand', heir: String(writerUser.id), confirm: owner.username });
    expect(left.status).toBe(200);
    expect(getUserByUsername(ctx.db, owner.username)).toBeNull();
    // Now the new owner is the last one.
    expect((await writer.client.post('/account/delete', { posts: 'delete', confirm: writer.username })).status).toBe(409);
  });

  it('includes the pictures in my posts and their history, and the files point at them', async () => {
    const ctx = makeApp();
    const { client, username } = await enrol(ctx, 'writer', 'Ada Writer');
    const uploaded = await client.request('/api/media', { method: 'POST', body: new Uint8Array(await makeImage('png', 900, 600)), headers: { 'content-type': 'image/png' } });
    expect(uploaded.status).toBe(201);
    const { url } = (await uploaded.json()) as { url: string };
    const name = url.replace('/media/', '');
    const id = Number((await client.post('/write/new')).headers.get('location')!.split('/').pop());
    await client.postJson(`/api/posts/${id}`, { baseRevision: 1, title: 'Pictures', html: `<p><img src="${url}" alt="A harbour"></p>` });

    const files = unzip(Buffer.from(await (await client.get('/account/export')).arrayBuffer()));
    const root = `quire-${username}-2026-11-23`;
    const stored = readFileSync(path.join(ctx.config.dataDir, 'media', name));
    expect(files[`${root}/media/${name}`]).toBe(`sha256:${createHash('sha256').update(stored).digest('hex')}`);
    expect(files[`${root}/posts/001-pictures/post.md`]).toContain(`![A harbour](../../media/${name})`);
    expect(files[`${root}/posts/001-pictures/post.html`]).toContain(`src="../../media/${name}"`);
    const revision = Object.keys(files).find((n) => n.includes('/revisions/') && n.endsWith('.html'))!;
    expect(files[revision]).toContain(`src="../../../media/${name}"`);
  });
});
