// What imports write: whole posts with their original dates and status, bylines without
// accounts, old addresses, and the mapping that makes a second import of the same file a no-op.
import { randomUUID } from 'node:crypto';
import { sql, type Db } from './database.js';
import { uniqueSlug, type Author, type PostStatus } from './posts.js';

/** The post made from this source item by an earlier import, or null. */
export function findImportedPost(db: Db, source: string, sourceId: string): number | null {
  const row = sql<[string, string], { post_id: number }>(db, 'SELECT post_id FROM imported_posts WHERE source = ? AND source_id = ?').get(
    source,
    sourceId,
  );
  return row?.post_id ?? null;
}

export function recordImportedPost(db: Db, source: string, sourceId: string, postId: number, now: number): void {
  sql(db, 'INSERT INTO imported_posts (source, source_id, post_id, imported_at) VALUES (?, ?, ?, ?)').run(source, sourceId, postId, now);
}

/**
 * A byline with this name (case-insensitive) or else this slug, an account's before an import's:
 * "Grace Hopper" from Ghost becomes Grace's posts here if she already writes here under that name.
 */
export function findAuthorBySlugOrName(db: Db, slug: string, name: string): Author | null {
  const row = sql<[string, string, string], { id: number; user_id: number | null; name: string; slug: string }>(
    db,
    `SELECT id, user_id, name, slug FROM authors WHERE slug = ? OR name = ? COLLATE NOCASE
     ORDER BY name = ? COLLATE NOCASE DESC, user_id IS NULL, id LIMIT 1`,
  ).get(slug, name, name);
  return row ? { id: row.id, userId: row.user_id, name: row.name, slug: row.slug } : null;
}

/** A byline with no account behind it (an imported writer who has not joined). */
export function createAuthorWithoutAccount(db: Db, name: string, wantedSlug: string): Author {
  const slug = uniqueSlug(db, 'authors', wantedSlug || 'author');
  const result = sql(db, 'INSERT INTO authors (user_id, name, slug) VALUES (NULL, ?, ?)').run(name, slug);
  return { id: Number(result.lastInsertRowid), userId: null, name, slug };
}

export interface ImportedPost {
  uid: string;
  type: 'post' | 'page';
  authorId: number;
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  text: string;
  wordCount: number;
  status: PostStatus;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
}

/** Inserts a whole post as it was elsewhere, with its first history entry; returns its id. */
export function insertImportedPost(db: Db, post: ImportedPost): number {
  const uidTaken = sql<[string]>(db, 'SELECT 1 FROM posts WHERE uid = ?').get(post.uid) !== undefined;
  const result = sql(
    db,
    `INSERT INTO posts (uid, type, author_id, title, slug, excerpt, html, text, word_count, status, created_at, updated_at, published_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    uidTaken ? randomUUID() : post.uid,
    post.type,
    post.authorId,
    post.title,
    post.slug,
    post.excerpt,
    post.html,
    post.text,
    post.wordCount,
    post.status,
    post.createdAt,
    post.updatedAt,
    post.publishedAt,
  );
  const id = Number(result.lastInsertRowid);
  sql(db, 'INSERT INTO revisions (post_id, user_id, title, html, word_count, started_at, saved_at) VALUES (?, NULL, ?, ?, ?, ?, ?)').run(
    id,
    post.title,
    post.html,
    post.wordCount,
    post.updatedAt,
    post.updatedAt,
  );
  return id;
}

/** An old address for a post; an address already taken (by another post's old address) is left alone. */
export function addRedirect(db: Db, path: string, postId: number): boolean {
  return sql(db, 'INSERT INTO redirects (path, post_id) VALUES (?, ?) ON CONFLICT (path) DO NOTHING').run(path, postId).changes === 1;
}
