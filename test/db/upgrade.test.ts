// Upgrades: a database made by the first migration set, with data in it as that version's code
// wrote it, is brought to the latest version by the same migrate() the server runs at start, and
// nothing is lost: every row of every old table keeps every old column's value, and the blog
// still works (sessions, passwords, invites, posts, old addresses, search, feeds).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { hashPassword } from '../../src/auth/password.js';
import { hashToken, randomToken } from '../../src/auth/tokens.js';
import { migrate, openDatabase, readMigrations, type Db } from '../../src/db/database.js';
import { HOUR } from '../../src/lib/clock.js';
import { projectRoot } from '../../src/lib/paths.js';
import { Client, manualClock, tempDir, testConfig } from '../helpers.js';

const migrations = readMigrations(path.join(projectRoot(), 'migrations'));
const T0 = Date.UTC(2026, 9, 1, 8, 0, 0);

/**
 * Rows of every table as sorted JSON, limited to the columns each table has now (later ones may
 * add columns). A full-text index's shadow tables (posts_fts_data…) are left out: they are derived
 * from posts, and a migration may rebuild them (0006 did); that search still works is checked below.
 */
function snapshot(db: Db): Map<string, { columns: string[]; rows: string[] }> {
  const out = new Map<string, { columns: string[]; rows: string[] }>();
  const virtual = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'").pluck().all() as string[];
  const tables = (
    db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")
      .pluck()
      .all() as string[]
  ).filter((name) => !virtual.some((v) => name.startsWith(`${v}_`)));
  for (const table of tables) {
    const columns = (db.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name);
    out.set(table, { columns, rows: rowsOf(db, table, columns) });
  }
  return out;
}

function rowsOf(db: Db, table: string, columns: string[]): string[] {
  return (db.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}"`).all() as Record<string, unknown>[])
    .map((row) => JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? `buffer:${v.toString('hex')}` : v)))
    .sort();
}

function expectKept(db: Db, before: Map<string, { columns: string[]; rows: string[] }>, stage: string) {
  for (const [table, { columns, rows }] of before) {
    expect(rowsOf(db, table, columns), `${table} (data written at ${stage})`).toEqual(rows);
  }
}

describe('upgrading an old database', () => {
  it('keeps everything written at version 1 and 2 through every later migration, and the blog still works', async () => {
    const dir = tempDir();
    const config = testConfig(dir);
    const db = openDatabase(path.join(dir, 'quire.db'));
    try {
      // ── Version 1: accounts, invites, sessions, settings, as 0001's code wrote them ──
      expect(migrate(db, migrations.slice(0, 1))).toEqual({ from: 0, to: 1 });
      const password = 'Xk2-long-generated-password-0001';
      const passwordHash = await hashPassword(password);
      const insertUser = db.prepare('INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)');
      const ownerId = Number(insertUser.run('amber-falcon-1234', 'Olive Owner', 'owner', passwordHash, T0).lastInsertRowid);
      const writerId = Number(insertUser.run('quiet-heron-5678', 'Wren Writer', 'writer', passwordHash, T0 + 1000).lastInsertRowid);
      const sessionToken = randomToken(32);
      db.prepare(
        'INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, authenticated_at, browser) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(hashToken(sessionToken), ownerId, T0, T0 + 2 * HOUR, T0 + 30 * 24 * HOUR, T0, 'Firefox on Linux');
      db.prepare(
        'INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, authenticated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(hashToken(randomToken(32)), writerId, T0, T0, T0 + 30 * 24 * HOUR, T0);
      const inviteToken = randomToken(20);
      const insertInvite = db.prepare('INSERT INTO invites (token_hash, role, created_by, created_at, expires_at, used_at, used_by) VALUES (?, ?, ?, ?, ?, ?, ?)');
      insertInvite.run(hashToken(inviteToken), 'writer', ownerId, T0 + 2 * HOUR, T0 + 74 * HOUR, null, null);
      insertInvite.run(hashToken(randomToken(20)), 'writer', ownerId, T0, T0 + 72 * HOUR, T0 + 1000, writerId);
      const setting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
      setting.run('title', 'Field Notes');
      setting.run('language', 'en-GB');
      setting.run('about', 'Three writers.');
      const atVersion1 = snapshot(db);

      // ── Version 2: posts with history, tags, bylines, an old address, a preview link ──
      expect(migrate(db, migrations.slice(0, 2))).toEqual({ from: 1, to: 2 });
      expectKept(db, atVersion1, 'version 1');
      const insertAuthor = db.prepare('INSERT INTO authors (user_id, name, slug) VALUES (?, ?, ?)');
      const ownerAuthor = Number(insertAuthor.run(ownerId, 'Olive Owner', 'olive-owner').lastInsertRowid);
      const guestAuthor = Number(insertAuthor.run(null, 'Guest Writer', 'guest-writer').lastInsertRowid);
      const insertPost = db.prepare(
        `INSERT INTO posts (uid, type, author_id, title, slug, excerpt, html, text, word_count, status, revision, created_at, updated_at, published_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const published = Number(
        insertPost.run('9d1c7a52-0000-4000-8000-000000000001', 'post', ownerAuthor, 'Rivers in spring', 'rivers-in-spring', 'On rivers.',
          '<p>The rivers rise in spring.</p>', 'The rivers rise in spring.', 5, 'published', 4, T0 + HOUR, T0 + 3 * HOUR, T0 + 2 * HOUR).lastInsertRowid,
      );
      insertPost.run('9d1c7a52-0000-4000-8000-000000000002', 'post', guestAuthor, 'Unfinished', 'unfinished', '', '<p>Draft.</p>', 'Draft.', 1, 'draft', 1, T0, T0, null);
      insertPost.run('9d1c7a52-0000-4000-8000-000000000003', 'page', ownerAuthor, 'Colophon', 'colophon', '', '<p>Made with care.</p>', 'Made with care.', 3, 'published', 1, T0, T0, T0);
      const revision = db.prepare('INSERT INTO revisions (post_id, user_id, title, html, word_count, started_at, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
      revision.run(published, ownerId, 'Rivers', '<p>The rivers.</p>', 2, T0 + HOUR, T0 + HOUR);
      revision.run(published, ownerId, 'Rivers in spring', '<p>The rivers rise in spring.</p>', 5, T0 + 3 * HOUR, T0 + 3 * HOUR);
      const tag = Number(db.prepare("INSERT INTO tags (name, slug) VALUES ('Nature', 'nature')").run().lastInsertRowid);
      db.prepare('INSERT INTO post_tags (post_id, tag_id, position) VALUES (?, ?, 0)').run(published, tag);
      db.prepare("INSERT INTO redirects (path, post_id) VALUES ('/posts/rivers', ?)").run(published);
      db.prepare('INSERT INTO preview_links (post_id, token_hash, created_at) VALUES (?, ?, ?)').run(published, hashToken(randomToken(32)), T0);
      const atVersion2 = snapshot(db);

      // ── Everything since, as the server does at start ──
      expect(migrate(db, migrations)).toEqual({ from: 2, to: migrations.length });
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
      expectKept(db, atVersion1, 'version 1');
      expectKept(db, atVersion2, 'version 2');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // Control: the comparison notices a lost row.
      const sessions = atVersion1.get('sessions')!;
      const expectingMore = new Map(atVersion1).set('sessions', { ...sessions, rows: [...sessions.rows, '{"id":99}'].sort() });
      expect(() => expectKept(db, expectingMore, 'control')).toThrow();

      // ── The upgraded blog works ──
      const clock = manualClock(T0 + 3 * HOUR);
      const app = createApp({ db, config, clock });
      const owner = new Client(app, config.origin);
      owner.cookies.set('quire_session', sessionToken);
      const dashboard = await owner.get('/write');
      expect(dashboard.status, 'the session from version 1 still signs the owner in').toBe(200);
      expect(await dashboard.text()).toContain('Rivers in spring');

      const signIn = await new Client(app, config.origin).post('/login', { username: 'quiet-heron-5678', password });
      expect(signIn.status, 'a password hashed at version 1 still works').toBe(303);
      expect((await new Client(app, config.origin).post('/login', { username: 'quiet-heron-5678', password: 'wrong' })).status).toBe(401);
      expect((await new Client(app, config.origin).get(`/invite/${inviteToken}`)).status, 'a pending invite still works').toBe(200);

      const reader = new Client(app, config.origin);
      const post = await reader.get('/posts/rivers-in-spring');
      expect(post.status).toBe(200);
      const html = await post.text();
      expect(html).toContain('The rivers rise in spring.');
      expect(html).toContain('Olive Owner');
      expect(html).toContain('<html lang="en-GB">');
      const old = await reader.get('/posts/rivers');
      expect(old.status).toBe(301);
      expect(old.headers.get('location')).toBe('/posts/rivers-in-spring');
      expect((await reader.get('/colophon')).status).toBe(200);
      expect((await reader.get('/posts/unfinished')).status).toBe(404);
      expect(await (await reader.get('/search?q=rivers')).text()).toContain('Rivers in spring');
      expect(await (await reader.get('/search?q=care')).text(), 'a published page is found too').toContain('Colophon');
      expect(await (await reader.get('/search?q=draft')).text(), 'a draft is not').toContain('Nothing found');
      expect(await (await reader.get('/feed.xml')).text()).toContain('<guid isPermaLink="false">urn:uuid:9d1c7a52-0000-4000-8000-000000000001</guid>');
    } finally {
      db.close();
    }
  });

  it('upgrades a version-1 database with accounts only, straight to the latest version', () => {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'quire.db'));
    try {
      migrate(db, migrations.slice(0, 1));
      db.prepare("INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES ('a-b-1', 'Ann', 'owner', 'hash', 1)").run();
      db.prepare("INSERT INTO settings (key, value) VALUES ('title', 'Kept')").run();
      const before = snapshot(db);
      expect(migrate(db, migrations)).toEqual({ from: 1, to: migrations.length });
      expectKept(db, before, 'version 1');
      // New tables start empty and usable; the settings row survived.
      expect(db.prepare('SELECT count(*) FROM posts').pluck().get()).toBe(0);
      expect(db.prepare("SELECT value FROM settings WHERE key = 'title'").pluck().get()).toBe('Kept');
    } finally {
      db.close();
    }
  });
});
