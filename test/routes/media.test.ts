import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { countMediaUses, getMediaByFileName } from '../../src/db/media.js';
import { getPost, trashPost } from '../../src/db/posts.js';
import { importGhost } from '../../src/import/ghost.js';
import { runJobs } from '../../src/jobs.js';
import { DAY, MINUTE } from '../../src/lib/clock.js';
import { MAX_UPLOAD_BYTES } from '../../src/lib/images.js';
import { createBackup } from '../../src/ops/backup.js';
import { extractDataImagesInJson } from '../../src/lib/media-store.js';
import { ghostExport } from '../fixtures/ghost.js';
import { GPS, SVG_WITH_SCRIPT, TEXT_AS_JPEG, makeImage, makePhoneJpeg, makeTruncatedJpeg, type Format } from '../fixtures/images.js';
import { ORIGIN, enrol, makeApp, type Client } from '../helpers.js';

type Ctx = ReturnType<typeof makeApp>;

interface Uploaded {
  url: string;
  absoluteUrl: string;
  width: number;
  height: number;
  srcset: string | null;
  sizes: string | null;
  error?: string;
  message?: string;
}

async function upload(client: Client, bytes: Uint8Array, contentType = 'application/octet-stream', headers: Record<string, string> = {}) {
  const response = await client.request('/api/media', {
    method: 'POST',
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': contentType, ...headers },
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Uploaded };
}

/** Every file under DATA_DIR/media and the scratch folder, and every row: what "nothing stored" means. */
function stored(ctx: Ctx) {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return {
    files: list(path.join(ctx.dataDir, 'media')),
    partial: list(path.join(ctx.dataDir, '.media-partial')),
    media: ctx.db.prepare('SELECT count(*) FROM media').pluck().get(),
    mediaFiles: ctx.db.prepare('SELECT count(*) FROM media_files').pluck().get(),
  };
}

const NOTHING = { files: [], partial: [], media: 0, mediaFiles: 0 };

async function newPost(client: Client): Promise<number> {
  const response = await client.post('/write/new');
  expect(response.status).toBe(303);
  return Number(response.headers.get('location')!.split('/').pop());
}

async function save(ctx: Ctx, client: Client, id: number, html: string, title = `Post ${id}`) {
  const post = getPost(ctx.db, id)!;
  const response = await client.postJson(`/api/posts/${id}`, { baseRevision: post.revision, title, html, tags: '' });
  expect(response.status).toBe(200);
  return getPost(ctx.db, id)!;
}

/** The background jobs, as the server runs them, at the manual clock's time. */
function jobs(ctx: Ctx) {
  runJobs({ db: ctx.db, clock: ctx.clock, dataDir: ctx.dataDir });
}

const nameOf = (url: string) => url.split('/').pop()!;

describe('POST /api/media: uploading', () => {
  const formats: Format[] = ['jpeg', 'png', 'webp', 'gif'];
  for (const format of formats) {
    it(`stores a ${format.toUpperCase()} and answers with its URL, size and srcset`, async () => {
      const ctx = makeApp();
      const { client } = await enrol(ctx, 'writer');
      const { status, body } = await upload(client, await makeImage(format, 2000, 1500), `image/${format}`);
      expect(status).toBe(201);
      const ext = format === 'jpeg' ? 'jpg' : format;
      expect(body.url).toMatch(new RegExp(`^/media/[0-9a-f]{32}\\.${ext}$`));
      expect(body.absoluteUrl).toBe(`${ORIGIN}${body.url}`);
      expect([body.width, body.height]).toEqual([1600, 1200]);
      expect(body.srcset).toMatch(new RegExp(`^/media/[0-9a-f]{32}\\.${ext} 1600w, /media/[0-9a-f]{32}\\.${ext} 800w$`));
      expect(body.sizes).toBeTruthy();

      // Served as stored, with the right type and headers.
      const served = await client.get(body.url);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe(`image/${format}`);
      expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      const bytes = Buffer.from(await served.arrayBuffer());
      expect(bytes.equals(readFileSync(path.join(ctx.dataDir, 'media', nameOf(body.url))))).toBe(true);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 1600, 1200]);
      expect(stored(ctx).files).toHaveLength(2);
    });
  }

  it('takes a multipart form too, and the same picture twice is stored once', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const bytes = await makeImage('jpeg', 900, 600);
    const form = new FormData();
    form.set('file', new File([new Uint8Array(bytes)], 'holiday.JPG', { type: 'image/jpeg' }));
    const first = await client.request('/api/media', { method: 'POST', body: form });
    expect(first.status).toBe(201);
    const again = await upload(client, bytes);
    expect(again.body.url).toBe(((await first.json()) as Uploaded).url);
    expect(stored(ctx)).toMatchObject({ media: 1, mediaFiles: 2 });
  });

  it('strips GPS and every other EXIF field from a phone photo, read back from what is served', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const photo = await makePhoneJpeg();
    expect((await sharp(photo).metadata()).exif?.toString('latin1')).toContain(GPS.GPSMapDatum);
    const { status, body } = await upload(client, photo, 'image/jpeg');
    expect(status).toBe(201);
    // Upright: the sideways 2400 × 1200 photo is a 1200 × 2400 portrait.
    expect([body.width, body.height]).toEqual([1200, 2400]);
    for (const url of body.srcset!.split(', ').map((candidate) => candidate.split(' ')[0]!)) {
      const bytes = Buffer.from(await (await client.get(url)).arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(bytes.toString('latin1')).not.toContain('QuirePhone');
    }
  });

  it('refuses a text file named .jpg, an SVG, a damaged JPEG and an empty body, with JSON that says why, storing nothing', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');

    const renamed = new FormData();
    renamed.set('file', new File([new Uint8Array(TEXT_AS_JPEG)], 'holiday.jpg', { type: 'image/jpeg' }));
    const text = await client.request('/api/media', { method: 'POST', body: renamed });
    expect(text.status).toBe(415);
    expect(((await text.json()) as Uploaded).message).toMatch(/not a picture Quire can use.*JPEG, PNG, WebP and GIF/);

    const svg = await upload(client, SVG_WITH_SCRIPT, 'image/svg+xml');
    expect([svg.status, svg.body.error]).toEqual([415, 'unsupported']);
    expect(svg.body.message).toMatch(/SVG.*scripts/);

    const corrupt = await upload(client, await makeTruncatedJpeg(), 'image/jpeg');
    expect([corrupt.status, corrupt.body.error]).toEqual([422, 'corrupt']);
    expect(corrupt.body.message).toMatch(/damaged.*Nothing was saved/);

    const empty = await upload(client, new Uint8Array(0), 'image/png');
    expect([empty.status, empty.type]).toEqual([400, 'application/json']);

    const noFile = await client.request('/api/media', { method: 'POST', body: new FormData() });
    expect(noFile.status).toBe(400);

    expect(stored(ctx)).toEqual(NOTHING);
  });

  it('refuses more than 15 MB with 413 and a message, whether it fits the body limit or not', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const justOver = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    justOver.set([0xff, 0xd8, 0xff, 0xe0]);
    const first = await upload(client, justOver, 'image/jpeg');
    expect([first.status, first.body.error]).toEqual([413, 'too-large']);
    expect(first.body.message).toMatch(/larger than 15 MB.*Nothing was saved/);

    const huge = Buffer.alloc(20 * 1024 * 1024);
    huge.set([0xff, 0xd8, 0xff, 0xe0]);
    const second = await upload(client, huge, 'image/jpeg');
    expect([second.status, second.body.error]).toEqual([413, 'too-large']);
    expect(stored(ctx)).toEqual(NOTHING);
  });

  it('is for signed-in writers, from the blog’s own pages only', async () => {
    const ctx = makeApp();
    const bytes = await makeImage('png', 100, 100);
    const anonymous = await upload(ctx.client, bytes);
    expect([anonymous.status, anonymous.body.error]).toEqual([401, 'signed-out']);

    const { client } = await enrol(ctx, 'writer');
    const crossSite = await client.request('/api/media', {
      method: 'POST',
      body: new Uint8Array(bytes),
      headers: { 'content-type': 'image/png', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(stored(ctx)).toEqual(NOTHING);
  });
});

describe('GET /media/<name>: serving', () => {
  it('answers 304 to a revalidation and HEAD without a body', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('png', 200, 100));
    const first = await ctx.client.get(body.url);
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${nameOf(body.url)}"`);
    const again = await ctx.client.get(body.url, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    const head = await ctx.app.request(`${ORIGIN}${body.url}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/png');
    expect(await head.text()).toBe('');
  });

  it('refuses path traversal and anything that is not a name Quire gave a file', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('png', 200, 100));
    const name = nameOf(body.url);
    const hash = name.slice(0, 32);
    // Files that must never be served: the database and key beside the folder, stray files in it.
    writeFileSync(path.join(ctx.dataDir, 'secret.txt'), 'TOP SECRET');
    writeFileSync(path.join(ctx.dataDir, 'media', 'evil.svg'), SVG_WITH_SCRIPT);
    writeFileSync(path.join(ctx.dataDir, 'media', `${hash}.svg`), SVG_WITH_SCRIPT);
    mkdirSync(path.join(ctx.dataDir, 'media', `${'a'.repeat(32)}.png`));

    for (const url of [
      '/media/../secret.txt',
      '/media/..%2fsecret.txt',
      '/media/%2e%2e%2fsecret.txt',
      '/media/%2E%2E/secret.txt',
      '/media/..%5csecret.txt',
      '/media/....//secret.txt',
      '/media/%252e%252e%252fsecret.txt',
      '/media/..%2fquire.db',
      '/media/%2e%2e%2fquire.db',
      '/media/..%2f..%2fetc%2fpasswd',
      '/media//etc/passwd',
      '/media/evil.svg',
      `/media/${hash}.svg`,
      `/media/${hash}.JPG`,
      `/media/${name}%00.png`,
      `/media/${name}/`,
      `/media/${name.toUpperCase()}`,
      `/media/${'a'.repeat(32)}.png`,
      `/media/${'b'.repeat(32)}.png`,
      '/media/.media-partial',
      '/media/',
    ]) {
      const response = await ctx.client.get(url);
      const text = await response.text();
      expect(response.status, url).toBe(404);
      expect(text, url).not.toMatch(/TOP SECRET|SQLite format|<svg|root:/);
    }
    // The real file is still served.
    expect((await ctx.client.get(body.url)).status).toBe(200);
  });
});

describe('images in posts', () => {
  it('a save keeps our images with alt, width, height and srcset from the database, and drops others', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('jpeg', 2000, 1000));
    const id = await newPost(client);
    // What Quill sends: src, alt, width and height only (and a width the writer's browser made up).
    const post = await save(
      ctx,
      client,
      id,
      `<p>Look:</p><p><img src="${body.url}" alt="A red &quot;barn&quot;" width="3"></p>` +
        '<p><img src="javascript:alert(1)"><img src="https://tracker.example/pixel.gif" alt="x"><img src="/media/../quire.db"></p>',
    );
    expect(post.html).toBe(
      `<p>Look:</p><p><img src="${body.url}" alt="A red &quot;barn&quot;" width="1600" height="800" srcset="${body.srcset}" sizes="${body.sizes}" /></p><p></p>`,
    );
    expect(countMediaUses(ctx.db, getMediaByFileName(ctx.db, nameOf(body.url))!.id)).toBe(1);
  });

  it('turns a data: image that arrives in a save into a file, and drops one that is not a picture', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const id = await newPost(client);
    const png = (await makeImage('png', 1000, 500)).toString('base64');
    const svg = SVG_WITH_SCRIPT.toString('base64');
    const post = await save(
      ctx,
      client,
      id,
      `<p><img src="data:image/png;base64,${png}" alt="Pasted"></p><p><img src="data:image/svg+xml;base64,${svg}" alt="bad"></p>`,
    );
    expect(post.html).not.toContain('data:');
    expect(post.html).toMatch(
      /^<p><img src="\/media\/[0-9a-f]{32}\.png" alt="Pasted" width="1000" height="500" srcset="\/media\/[^"]+ 1000w, \/media\/[^"]+ 800w" sizes="[^"]+" \/><\/p><p><\/p>$/,
    );
    const name = post.html.match(/\/media\/([0-9a-f]{32}\.png)/)![1]!;
    expect(existsSync(path.join(ctx.dataDir, 'media', name))).toBe(true);
    expect(countMediaUses(ctx.db, getMediaByFileName(ctx.db, name)!.id)).toBe(1);
  });

  it('public pages and feeds use absolute image URLs with width and height', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('webp', 1800, 1200));
    const id = await newPost(client);
    await save(ctx, client, id, `<p>Snow.</p><p><img src="${body.url}" alt="Snow on the hill"></p>`, 'Winter');
    expect((await client.post(`/write/${id}/publish`)).status).toBe(303);
    const slug = getPost(ctx.db, id)!.slug;

    const page = await (await ctx.client.get(`/posts/${slug}`)).text();
    const img = page.match(/<img [^>]*>/)![0];
    expect(img).toContain(`src="${ORIGIN}${body.url}"`);
    expect(img).toContain('alt="Snow on the hill"');
    expect(img).toContain('width="1600"');
    expect(img).toContain('height="1067"');
    expect(img).toContain(`srcset="${body.srcset!.replaceAll('/media/', `${ORIGIN}/media/`)}"`);

    for (const feed of ['/feed.xml', '/atom.xml', '/feed.json']) {
      const text = await (await ctx.client.get(feed)).text();
      const decoded = feed.endsWith('.json') ? JSON.stringify(JSON.parse(text)) : text;
      expect(decoded, feed).toContain(`${ORIGIN}${body.url}`);
      expect(decoded, feed).toMatch(/width=\\?"1600\\?" height=\\?"1067\\?"/);
    }
  });

  it('the owner can keep full-size originals; they are stored but never put in posts', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    expect(await (await client.get('/settings')).text()).toMatch(/name="keep_originals" value="1" aria-describedby/);
    const big = await makeImage('jpeg', 2400, 1200);
    await upload(client, big);
    expect(stored(ctx).files).toHaveLength(2);

    const form = { title: 'Quire', description: '', language: 'en', about: '', keep_originals: '1' };
    expect((await client.post('/settings', form)).status).toBe(303);
    expect(await (await client.get('/settings')).text()).toMatch(/name="keep_originals" value="1" checked/);
    const { body } = await upload(client, big);
    const files = stored(ctx).files;
    expect(files).toHaveLength(3);
    const original = files.find((file) => !body.srcset!.includes(file))!;
    expect((await sharp(readFileSync(path.join(ctx.dataDir, 'media', original))).metadata()).width).toBe(2400);

    const { title, description, language, about } = form;
    await client.post('/settings', { title, description, language, about });
    expect(await (await client.get('/settings')).text()).not.toMatch(/name="keep_originals"[^>]*checked/);
  });
});

describe('which posts use a file, and cleaning up', () => {
  it('a file two posts share survives the other post being deleted, and goes 30 days after the last one', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('jpeg', 1000, 600));
    const [a, b] = [await newPost(client), await newPost(client)];
    await save(ctx, client, a, `<p><img src="${body.url}" alt="shared"></p>`);
    await save(ctx, client, b, `<p>Also here: <img src="${body.url}" alt="shared"></p>`);
    const media = getMediaByFileName(ctx.db, nameOf(body.url))!;
    expect(countMediaUses(ctx.db, media.id)).toBe(2);

    // Post A goes to the trash and, 30 days later, is deleted for good.
    trashPost(ctx.db, a, ctx.clock.now());
    ctx.clock.advance(31 * DAY);
    jobs(ctx);
    expect(getPost(ctx.db, a)).toBeNull();
    ctx.clock.advance(40 * DAY);
    jobs(ctx);
    expect(countMediaUses(ctx.db, media.id)).toBe(1);
    expect((await ctx.client.get(body.url)).status).toBe(200);

    // Then post B goes too: its pictures are kept 30 more days after it is purged, then removed.
    trashPost(ctx.db, b, ctx.clock.now());
    ctx.clock.advance(31 * DAY);
    jobs(ctx);
    expect(getPost(ctx.db, b)).toBeNull();
    ctx.clock.advance(29 * DAY);
    jobs(ctx);
    expect((await ctx.client.get(body.url)).status).toBe(200);
    ctx.clock.advance(2 * DAY);
    jobs(ctx);
    expect((await ctx.client.get(body.url)).status).toBe(404);
    expect(stored(ctx)).toMatchObject({ files: [], media: 0, mediaFiles: 0 });
  });

  it('removing an image from one post keeps it for the other, and a version in the history keeps it too', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'owner');
    const { body } = await upload(client, await makeImage('png', 400, 300));
    const [a, b] = [await newPost(client), await newPost(client)];
    await save(ctx, client, a, `<p>One <img src="${body.url}" alt=""></p>`);
    await save(ctx, client, b, `<p>Two <img src="${body.url}" alt=""></p>`);
    // Within one writing session the history entry is rewritten, so the image really leaves post A.
    await save(ctx, client, a, '<p>One, without the picture.</p>');
    ctx.clock.advance(45 * DAY);
    jobs(ctx);
    expect((await ctx.client.get(body.url)).status).toBe(200);
    expect(getPost(ctx.db, b)!.html).toContain(body.url);

    // Post B, weeks later (so signed in again): its history still shows the picture, so
    // restoring that version keeps working.
    const { client: later } = await enrol(ctx, 'owner', 'Another Owner');
    await save(ctx, later, b, '<p>Two, without it.</p>');
    ctx.clock.advance(45 * DAY);
    jobs(ctx);
    expect((await ctx.client.get(body.url)).status).toBe(200);
  });

  it('an upload no post uses is removed 30 days later, not before', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('gif', 1200, 400));
    expect(stored(ctx).files).toHaveLength(2);
    ctx.clock.advance(30 * DAY - MINUTE);
    jobs(ctx);
    expect(stored(ctx).files).toHaveLength(2);
    ctx.clock.advance(2 * MINUTE);
    jobs(ctx);
    expect(stored(ctx)).toEqual(NOTHING);
    expect((await ctx.client.get(body.url)).status).toBe(404);
  });

  it('a post that names a file without being counted (written by another path) still keeps it', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('png', 300, 300));
    const id = await newPost(client);
    ctx.db.prepare('UPDATE posts SET html = ? WHERE id = ?').run(`<p><img src="${body.url}" alt=""></p>`, id);
    ctx.clock.advance(31 * DAY);
    jobs(ctx);
    expect((await ctx.client.get(body.url)).status).toBe(200);
    expect(countMediaUses(ctx.db, getMediaByFileName(ctx.db, nameOf(body.url))!.id)).toBe(1);
  });

  it('the 800 px file saved from a page and uploaded again is the same picture, not a broken new one', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const first = await upload(client, await makeImage('png', 2000, 1000));
    const small = first.body.srcset!.split(', ')[1]!.split(' ')[0]!;
    const again = await upload(client, Buffer.from(await (await client.get(small)).arrayBuffer()));
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ url: first.body.url, width: 1600, srcset: first.body.srcset });
    expect(stored(ctx)).toMatchObject({ media: 1, mediaFiles: 2 });
  });
});

describe('backups', () => {
  it('a backup holds every media file, and no half-written scratch file', async () => {
    const ctx = makeApp();
    const { client } = await enrol(ctx, 'writer');
    const { body } = await upload(client, await makeImage('jpeg', 2000, 1000));
    mkdirSync(path.join(ctx.dataDir, '.media-partial'), { recursive: true });
    writeFileSync(path.join(ctx.dataDir, '.media-partial', 'x.partial'), 'half');
    const file = path.join(ctx.dataDir, 'backups', 'test.tar.gz');
    const result = await createBackup(ctx.db, ctx.dataDir, file, ctx.clock.now());
    expect(result.mediaFiles).toBe(2);
    const names = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
    for (const url of body.srcset!.split(', ').map((candidate) => candidate.split(' ')[0]!)) expect(names).toContain(`media/${nameOf(url)}`);
    expect(names.filter((name) => name.includes('partial'))).toEqual([]);
  });
});

describe('imports', () => {
  it('a Ghost export with an embedded image gets a file; the imported post shows it', async () => {
    const ctx = makeApp();
    const file = ghostExport({ posts: 1, pages: 0 });
    const png = (await makeImage('png', 640, 480)).toString('base64');
    file.db[0]!.data.posts[0]!.html = `<p>Embedded:</p><figure><img src="data:image/png;base64,${png}" alt="Inline"></figure>`;
    const now = ctx.clock.now();
    const prepared = await extractDataImagesInJson(JSON.stringify(file), { db: ctx.db, dataDir: ctx.dataDir, now, userId: null });
    expect([prepared.stored, prepared.dropped]).toEqual([1, 0]);
    const report = importGhost(ctx.db, prepared.json, { publicOrigin: ORIGIN, now });
    expect(report.posts).toBe(1);
    const html = (ctx.db.prepare('SELECT html FROM posts').pluck().get() as string) ?? '';
    expect(html).toMatch(/<img src="\/media\/[0-9a-f]{32}\.png" alt="Inline" width="640" height="480" \/>/);
    expect((await ctx.client.get(html.match(/\/media\/[^"]+/)![0])).status).toBe(200);
  });
});
