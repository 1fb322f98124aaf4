// Backups and restores on real SQLite files: a snapshot taken while the app serves and another
// process writes is consistent and complete; a restore gives back the same blog, byte for byte
// per row, and refuses anything that is not an empty DATA_DIR and a sound Quire backup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { migrate, openDatabase, readMigrations, type Db } from '../../src/db/database.js';
import { importGhost } from '../../src/import/ghost.js';
import { writeTarGz } from '../../src/lib/archive.js';
import { DAY, HOUR, MINUTE } from '../../src/lib/clock.js';
import { startBackgroundJobs } from '../../src/jobs.js';
import { BackupError, checkDatabaseFile, createBackup, isEmptyDataDir, KEEP_SCHEDULED, restoreBackup, runScheduledBackup } from '../../src/ops/backup.js';
import { ghostExport } from '../fixtures/ghost.js';
import { Client, enrol, makeApp, manualClock, tempDir } from '../helpers.js';

const migrations = () => readMigrations(path.join(import.meta.dirname, '../../migrations'));

/** Every row of every table (FTS shadow tables included), as sorted JSON lines per table. */
function dump(db: Db): Record<string, string[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
    .pluck()
    .all() as string[];
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    out[table] = (db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[])
      .map((row) => JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? `buffer:${v.toString('base64')}` : v)))
      .sort();
  }
  return out;
}

/** The invariant a torn copy would break: a post's text is the text of its newest history entry. */
function tornPosts(db: Db): unknown[] {
  return db
    .prepare(
      `SELECT p.id FROM posts p
       WHERE p.html IS NOT (SELECT r.html FROM revisions r WHERE r.post_id = p.id ORDER BY r.saved_at DESC, r.id DESC LIMIT 1)`,
    )
    .all();
}

/** A blog with accounts, sessions, invites, imported and written posts with history, and uploaded files. */
async function seedBlog() {
  const ctx = makeApp();
  const owner = await enrol(ctx, 'owner', 'Olive Owner');
  const writer = await enrol(ctx, 'writer', 'Wren Writer');
  importGhost(ctx.db, JSON.stringify(ghostExport({ posts: 120, pages: 2, users: 2, tags: 4 })), { publicOrigin: ctx.config.origin, now: ctx.clock.now() });
  const ids: number[] = [];
  for (const [client, n] of [
    [owner.client, 3],
    [writer.client, 3],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const created = await client.post('/write/new');
      const id = Number(created.headers.get('location')!.split('/').pop());
      const saved = await client.postJson(`/api/posts/${id}`, { baseRevision: 1, title: `Written here ${id}`, html: `<p>Body ${id}</p>`, tags: 'local' });
      expect(saved.status).toBe(200);
      ids.push(id);
    }
  }
  await owner.client.post(`/write/${ids[0]}/publish`);
  const mediaDir = path.join(ctx.dataDir, 'media');
  mkdirSync(path.join(mediaDir, 'ab'), { recursive: true });
  const media = {
    'media/0f3a9c.jpg': randomBytes(70_000),
    'media/ab/9e1d77.webp': randomBytes(1_000),
  };
  for (const [name, data] of Object.entries(media)) writeFileSync(path.join(ctx.dataDir, name), data);
  return { ctx, owner, writer, ids, media };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  vi.useRealTimers();
});

/**
 * Another process writing as fast as it can, as the server does while `quire backup` runs:
 * each transaction adds a post and its first history entry, keeping the invariant above.
 * Resolves once its first write is committed.
 */
function startWriterProcess(dbFile: string, authorId: number): Promise<ChildProcess> {
  const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `
    const Database = require(${JSON.stringify(betterSqlite)});
    const db = new Database(${JSON.stringify(dbFile)});
    db.pragma('busy_timeout = 5000');
    const post = db.prepare("INSERT INTO posts (uid, author_id, title, slug, html, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', ?, ?)");
    const revision = db.prepare('INSERT INTO revisions (post_id, title, html, word_count, started_at, saved_at) VALUES (?, ?, ?, 0, ?, ?)');
    const write = db.transaction((i) => {
      const html = '<p>' + 'concurrent '.repeat(200) + i + '</p>';
      const id = post.run('w-' + process.pid + '-' + i, ${authorId}, 'Concurrent ' + i, 'concurrent-' + process.pid + '-' + i, html, i, i).lastInsertRowid;
      revision.run(id, 'Concurrent ' + i, html, i, i);
    });
    let i = 0;
    write(i++);
    process.stdout.write('ready\\n');
    // A write every millisecond or so: busy, but leaving the lock free between writes as a real server does.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      write(i++);
      Atomics.wait(pause, 0, 0, 1);
    }
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`writer process exited early (${code})`)));
  });
}

describe('backup and restore', () => {
  it('takes a consistent snapshot while the app serves readers and another process keeps writing', async () => {
    const { ctx, owner, ids } = await seedBlog();
    const authorId = ctx.db.prepare('SELECT author_id FROM posts WHERE id = ?').pluck().get(ids[0]) as number;
    const dbFile = path.join(ctx.dataDir, 'quire.db');
    const count = () => ctx.db.prepare('SELECT count(*) FROM posts').pluck().get() as number;
    // The writer stands in for the server process; there is one writer, as in production.
    const writer = await startWriterProcess(dbFile, authorId);

    // Meanwhile the app answers readers and writers' dashboards, interleaved with the backup's steps.
    let serving = true;
    const served = (async () => {
      const statuses: number[] = [];
      for (let n = 0; serving; n++) {
        statuses.push((await ctx.client.get(`/posts/post-${(n % 9) + 1}`)).status, (await owner.client.get('/write')).status);
        // Requests resolve in microtasks; yield so the backup's steps (setImmediate) get their turn, as on a server.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return statuses;
    })();

    // A second connection, as `quire backup` has in its own process.
    const cli = openDatabase(dbFile);
    const before = count();
    const file = path.join(tempDir(), 'blog.tar.gz');
    const result = await createBackup(cli, ctx.dataDir, file, ctx.clock.now());
    serving = false;
    const statuses = await served;
    writer.kill('SIGKILL');
    cli.close();
    const after = count();
    expect(after, 'the other process kept writing during the backup').toBeGreaterThan(before);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    expect(result).toMatchObject({ file, mediaFiles: 2, includesKey: false, schemaVersion: migrations().length });
    const restoredDir = path.join(tempDir(), 'restored');
    await restoreBackup(file, restoredDir);
    const restored = openDatabase(path.join(restoredDir, 'quire.db'));
    try {
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(restored.pragma('foreign_key_check')).toEqual([]);
      expect(restored.prepare("INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)").run().changes).toBeGreaterThanOrEqual(0);
      expect(tornPosts(restored)).toEqual([]);
      const copied = restored.prepare('SELECT count(*) FROM posts').pluck().get() as number;
      expect(copied).toBeGreaterThanOrEqual(before);
      expect(copied).toBeLessThanOrEqual(after);
      // Control: the invariant check does find a torn post.
      restored.prepare("UPDATE posts SET html = '<p>torn</p>' WHERE id = ?").run(ids[2]);
      expect(tornPosts(restored)).toHaveLength(1);
    } finally {
      restored.close();
    }
  });

  it('restores into an empty folder exactly what there was: rows, uploads, and working sign-ins', async () => {
    const { ctx, owner, media } = await seedBlog();
    const expected = dump(ctx.db);
    const file = path.join(tempDir(), 'nested', 'blog.tar.gz');
    const result = await createBackup(ctx.db, ctx.dataDir, file, ctx.clock.now());
    expect(result.mediaFiles).toBe(2);
    expect(readdirSync(path.dirname(file))).toEqual(['blog.tar.gz']); // no snapshot or .partial left behind

    const restoredDir = path.join(tempDir(), 'new-volume');
    mkdirSync(restoredDir);
    mkdirSync(path.join(restoredDir, 'lost+found')); // a fresh ext4 volume still counts as empty
    expect(await restoreBackup(file, restoredDir, { latestSchemaVersion: migrations().length })).toMatchObject({
      mediaFiles: 2,
      includesKey: false,
      schemaVersion: migrations().length,
    });
    expect(readdirSync(restoredDir).sort()).toEqual(['lost+found', 'media', 'quire.db']);
    for (const [name, data] of Object.entries(media)) expect(readFileSync(path.join(restoredDir, name)).equals(data), name).toBe(true);

    const db = openDatabase(path.join(restoredDir, 'quire.db'));
    try {
      expect(migrate(db, migrations())).toEqual({ from: migrations().length, to: migrations().length });
      const actual = dump(db);
      expect(Object.keys(actual)).toEqual(Object.keys(expected));
      for (const table of ['users', 'sessions', 'invites', 'posts', 'revisions', 'authors', 'tags', 'post_tags', 'redirects', 'imported_posts']) {
        expect(actual[table]!.length, table).toBeGreaterThan(0);
      }
      expect(actual).toEqual(expected);

      // The restored blog runs: the owner's browser is still signed in, readers see the posts.
      const app = createApp({ db, config: { ...ctx.config, dataDir: restoredDir }, clock: ctx.clock });
      const browser = new Client(app, ctx.config.origin);
      for (const [name, value] of owner.client.cookies) browser.cookies.set(name, value);
      const dashboard = await browser.get('/write');
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('Written here');
      expect((await browser.get('/posts/post-1')).status).toBe(200);
    } finally {
      db.close();
    }
  });

  it('keeps a generated development key with the backup', async () => {
    const dataDir = tempDir();
    const { boot } = await import('../../src/boot.js');
    const { db } = boot({ DATA_DIR: dataDir, QUIRE_LOG_REQUESTS: '0' }, () => {});
    const file = path.join(tempDir(), 'dev.tar.gz');
    try {
      expect((await createBackup(db, dataDir, file, Date.now())).includesKey).toBe(true);
    } finally {
      db.close();
    }
    const restoredDir = path.join(tempDir(), 'r');
    expect((await restoreBackup(file, restoredDir)).includesKey).toBe(true);
    expect(readFileSync(path.join(restoredDir, 'secret.key'), 'utf8')).toBe(readFileSync(path.join(dataDir, 'secret.key'), 'utf8'));
  });

  it('refuses a DATA_DIR that is not empty, and leaves it as it was', async () => {
    const { ctx } = await seedBlog();
    const file = path.join(tempDir(), 'blog.tar.gz');
    await createBackup(ctx.db, ctx.dataDir, file, ctx.clock.now());
    const before = dump(ctx.db);
    await expect(restoreBackup(file, ctx.dataDir)).rejects.toThrow(/is not empty\. Restore only into an empty folder/);
    expect(dump(ctx.db)).toEqual(before);

    const other = tempDir();
    writeFileSync(path.join(other, 'notes.txt'), 'mine');
    await expect(restoreBackup(file, other)).rejects.toBeInstanceOf(BackupError);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    expect(isEmptyDataDir(other)).toBe(false);
  });

  it('refuses damaged and foreign archives, and leaves the folder empty', async () => {
    const { ctx } = await seedBlog();
    const dir = tempDir();
    const good = path.join(dir, 'good.tar.gz');
    await createBackup(ctx.db, ctx.dataDir, good, ctx.clock.now());
    const bytes = readFileSync(good);
    const manifest = JSON.stringify({ format: 'quire-backup', version: 1 });

    const truncated = path.join(dir, 'truncated.tar.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const flipped = Buffer.from(bytes);
    for (let i = 2000; i < 2100; i++) flipped[i] = flipped[i]! ^ 0xff;
    const corrupt = path.join(dir, 'corrupt.tar.gz');
    writeFileSync(corrupt, flipped);
    const notGzip = path.join(dir, 'notes.tar.gz');
    writeFileSync(notGzip, 'just some text\n');
    const foreign = path.join(dir, 'foreign.tar.gz');
    await writeTarGz(foreign, [{ name: 'photos/cat.jpg', data: 'meow' }]);
    // A well-formed archive around a database file whose pages were damaged.
    const dbBytes = readFileSync(path.join(ctx.dataDir, 'quire.db'));
    const snapshot = path.join(dir, 'snapshot.db');
    ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    writeFileSync(snapshot, readFileSync(path.join(ctx.dataDir, 'quire.db')));
    const damaged = Buffer.from(readFileSync(snapshot));
    damaged.fill(0x5a, 8192, 8192 + 3 * 4096);
    const badDb = path.join(dir, 'bad-db.tar.gz');
    await writeTarGz(badDb, [
      { name: 'quire-backup.json', data: manifest },
      { name: 'quire.db', data: damaged },
    ]);
    const notQuire = path.join(dir, 'not-quire.tar.gz');
    await writeTarGz(notQuire, [
      { name: 'quire-backup.json', data: manifest },
      { name: 'quire.db', data: dbBytes.subarray(0, 0) },
    ]);
    // From a newer Quire: refused now rather than at the next start.
    const newer = openDatabase(snapshot);
    newer.pragma('user_version = 99');
    newer.pragma('journal_mode = DELETE');
    newer.close();
    const future = path.join(dir, 'future.tar.gz');
    await writeTarGz(future, [
      { name: 'quire-backup.json', data: manifest },
      { name: 'quire.db', path: snapshot },
    ]);

    const cases: [string, RegExp][] = [
      [truncated, /damaged|incomplete/],
      [corrupt, /damaged|not a Quire backup|integrity|cannot be read/],
      [notGzip, /not a Quire backup, or it is damaged/],
      [foreign, /not a Quire backup/],
      [badDb, /integrity check|cannot be read/],
      [notQuire, /not a Quire database/],
      [future, /made by a newer Quire/],
      [path.join(dir, 'missing.tar.gz'), /does not exist/],
    ];
    for (const [file, message] of cases) {
      const target = path.join(tempDir(), 'data');
      await expect(restoreBackup(file, target, { latestSchemaVersion: migrations().length }), path.basename(file)).rejects.toThrow(message);
      expect(isEmptyDataDir(target), path.basename(file)).toBe(true);
      if (existsSync(target)) expect(readdirSync(target), path.basename(file)).toEqual([]);
    }
    // Control: the untouched archive restores.
    await expect(restoreBackup(good, path.join(tempDir(), 'data'))).resolves.toMatchObject({ mediaFiles: 2 });
  });

  it('never overwrites an existing file, and checks the snapshot before archiving it', async () => {
    const { ctx } = await seedBlog();
    const file = path.join(tempDir(), 'taken.tar.gz');
    writeFileSync(file, 'precious');
    await expect(createBackup(ctx.db, ctx.dataDir, file, ctx.clock.now())).rejects.toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe('precious');
    await expect(createBackup(ctx.db, ctx.dataDir, path.join(ctx.dataDir, 'media', 'b.tar.gz'), ctx.clock.now())).rejects.toThrow(/inside the media folder/);
    const other = path.join(tempDir(), 'x.db');
    writeFileSync(other, 'not sqlite at all, just text that is long enough to look like a header................................');
    expect(() => checkDatabaseFile(other)).toThrow(BackupError);
  });
});

describe('scheduled backups', () => {
  it('writes one when due into DATA_DIR/backups, keeps the newest 7, and cleans up cut-short ones', async () => {
    const { ctx } = await seedBlog();
    const clock = manualClock(Date.UTC(2026, 10, 23, 3, 30, 0));
    const deps = { db: ctx.db, dataDir: ctx.dataDir, clock, everyHours: 24 };
    const dir = path.join(ctx.dataDir, 'backups');

    const first = await runScheduledBackup(deps);
    expect(first).toBe(path.join(dir, 'quire-20261123T033000Z.tar.gz'));
    clock.advance(6 * HOUR);
    expect(await runScheduledBackup(deps), 'not due yet').toBeNull();
    // A backup cut short by a stop leaves a .partial; the next run removes it.
    writeFileSync(path.join(dir, 'quire-20261123T100000Z.tar.gz.partial'), 'half');
    writeFileSync(path.join(dir, 'quire-by-hand.tar.gz'), 'mine');
    const start = Date.UTC(2026, 10, 23, 3, 30, 0);
    const written = [first!];
    for (let day = 1; day <= 9; day++) {
      // A few minutes early still counts, so a daily schedule does not drift by a check interval a day.
      clock.advance(start + day * DAY - 3 * MINUTE - clock.now());
      const file = await runScheduledBackup(deps);
      expect(file, `day ${day}`).not.toBeNull();
      written.push(file!);
    }
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => /^quire-\d{8}T\d{6}Z\.tar\.gz$/.test(n))).toEqual(written.slice(-KEEP_SCHEDULED).map((f) => path.basename(f)));
    expect(names).toContain('quire-by-hand.tar.gz'); // backups made by hand are never pruned
    expect(names.some((n) => n.endsWith('.partial'))).toBe(false);
    // The newest one restores into a working blog; backups are not inside backups.
    const newest = path.join(dir, readdirSync(dir).filter((n) => /^quire-\d{8}T/.test(n)).sort().at(-1)!);
    const restoredDir = path.join(tempDir(), 'r');
    await restoreBackup(newest, restoredDir);
    expect(readdirSync(restoredDir).sort()).toEqual(['media', 'quire.db']);
  });

  it('runs from the background jobs when QUIRE_BACKUP_HOURS is set, and not otherwise', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    const on = makeApp();
    const off = makeApp();
    const stopOn = startBackgroundJobs({ db: on.db, clock: on.clock, dataDir: on.dataDir, backupHours: 24 });
    const stopOff = startBackgroundJobs({ db: off.db, clock: off.clock, dataDir: off.dataDir });
    try {
      await vi.advanceTimersByTimeAsync(MINUTE);
      const dir = path.join(on.dataDir, 'backups');
      await vi.waitFor(() => expect(existsSync(dir) && readdirSync(dir).some((n) => n.endsWith('.tar.gz'))).toBe(true), { timeout: 10_000 });
      expect(readdirSync(dir)).toEqual(['quire-20261123T090000Z.tar.gz']);
      expect(existsSync(path.join(off.dataDir, 'backups'))).toBe(false);
    } finally {
      stopOn();
      stopOff();
    }
  });
});
