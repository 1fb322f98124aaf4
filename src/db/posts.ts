import { randomUUID } from 'node:crypto';
import { sql, type Db } from './database.js';
import type { User } from './users.js';
import { slugify } from '../lib/slug.js';

export type PostStatus = 'draft' | 'scheduled' | 'published';

export interface Author {
  id: number;
  userId: number | null;
  name: string;
  slug: string;
}

export interface Tag {
  id: number;
  name: string;
  slug: string;
}

export interface Post {
  id: number;
  uid: string;
  type: 'post' | 'page';
  author: Author;
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  text: string;
  wordCount: number;
  status: PostStatus;
  revision: number;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
  significantUpdateAt: number | null;
  deletedAt: number | null;
  tags: Tag[];
}

interface PostRow {
  id: number;
  uid: string;
  type: 'post' | 'page';
  author_id: number;
  author_user_id: number | null;
  author_name: string;
  author_slug: string;
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  text: string;
  word_count: number;
  status: PostStatus;
  revision: number;
  created_at: number;
  updated_at: number;
  published_at: number | null;
  significant_update_at: number | null;
  deleted_at: number | null;
}

const POST_SELECT = `
  SELECT p.id, p.uid, p.type, p.author_id, a.user_id AS author_user_id, a.name AS author_name, a.slug AS author_slug,
         p.title, p.slug, p.excerpt, p.html, p.text, p.word_count, p.status, p.revision, p.created_at, p.updated_at,
         p.published_at, p.significant_update_at, p.deleted_at
  FROM posts p JOIN authors a ON a.id = p.author_id`;

function tagsOf(db: Db, postId: number): Tag[] {
  return sql<[number], Tag>(
    db,
    'SELECT t.id, t.name, t.slug FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = ? ORDER BY pt.position',
  ).all(postId);
}

function toPost(db: Db, row: PostRow | undefined, withTags = true): Post | null {
  if (!row) return null;
  return {
    id: row.id,
    uid: row.uid,
    type: row.type,
    author: { id: row.author_id, userId: row.author_user_id, name: row.author_name, slug: row.author_slug },
    title: row.title,
    slug: row.slug,
    excerpt: row.excerpt,
    html: row.html,
    text: row.text,
    wordCount: row.word_count,
    status: row.status,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    significantUpdateAt: row.significant_update_at,
    deletedAt: row.deleted_at,
    tags: withTags ? tagsOf(db, row.id) : [],
  };
}

function mapPosts(db: Db, rows: PostRow[], withTags = true): Post[] {
  return rows.map((row) => toPost(db, row, withTags) as Post);
}

// ── Authors ──────────────────────────────────────────────────────────────────

/** A slug no other row of `table` has: "ada", then "ada-2", "ada-3"… */
export function uniqueSlug(db: Db, table: 'posts' | 'authors' | 'tags', wanted: string, exceptId: number | null = null): string {
  const base = wanted || 'untitled';
  const taken = sql<[string, number | null]>(db, `SELECT 1 FROM ${table} WHERE slug = ? AND id IS NOT ?`);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base.slice(0, 90)}-${n}`;
    if (!taken.get(candidate, exceptId)) return candidate;
  }
}

/** The byline of an account, created the first time it is needed and kept in step with the display name. */
export function authorForUser(db: Db, user: Pick<User, 'id' | 'displayName'>): Author {
  const existing = sql<[number], { id: number; user_id: number; name: string; slug: string }>(
    db,
    'SELECT id, user_id, name, slug FROM authors WHERE user_id = ?',
  ).get(user.id);
  if (existing) {
    if (existing.name !== user.displayName) sql(db, 'UPDATE authors SET name = ? WHERE id = ?').run(user.displayName, existing.id);
    return { id: existing.id, userId: existing.user_id, name: user.displayName, slug: existing.slug };
  }
  const slug = uniqueSlug(db, 'authors', slugify(user.displayName) || 'author');
  const result = sql(db, 'INSERT INTO authors (user_id, name, slug) VALUES (?, ?, ?)').run(user.id, user.displayName, slug);
  return { id: Number(result.lastInsertRowid), userId: user.id, name: user.displayName, slug };
}

export function getAuthorBySlug(db: Db, slug: string): Author | null {
  const row = sql<[string], { id: number; user_id: number | null; name: string; slug: string }>(
    db,
    'SELECT id, user_id, name, slug FROM authors WHERE slug = ?',
  ).get(slug);
  return row ? { id: row.id, userId: row.user_id, name: row.name, slug: row.slug } : null;
}

// ── Tags ─────────────────────────────────────────────────────────────────────

/** "Travel, food , travel" → the two tags, in the writer's order, created as needed. */
export function setPostTags(db: Db, postId: number, names: string[]): void {
  const seen = new Set<string>();
  const wanted: { name: string; slug: string }[] = [];
  for (const raw of names) {
    const name = raw.replace(/\s+/g, ' ').trim().slice(0, 50);
    const slug = slugify(name);
    if (!name || !slug || seen.has(slug)) continue;
    seen.add(slug);
    wanted.push({ name, slug });
  }
  const current = tagsOf(db, postId);
  if (current.length === wanted.length && current.every((t, i) => t.slug === wanted[i]!.slug)) return;
  sql(db, 'DELETE FROM post_tags WHERE post_id = ?').run(postId);
  wanted.slice(0, 20).forEach(({ name, slug }, position) => {
    sql(db, 'INSERT INTO tags (name, slug) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING').run(name, slug);
    const tagId = sql<[string], { id: number }>(db, 'SELECT id FROM tags WHERE slug = ?').get(slug)!.id;
    sql(db, 'INSERT INTO post_tags (post_id, tag_id, position) VALUES (?, ?, ?)').run(postId, tagId, position);
  });
}

export function getTagBySlug(db: Db, slug: string): Tag | null {
  return sql<[string], Tag>(db, 'SELECT id, name, slug FROM tags WHERE slug = ?').get(slug) ?? null;
}

// ── Writing ──────────────────────────────────────────────────────────────────

export function createDraft(db: Db, author: Author, now: number): Post {
  const uid = randomUUID();
  const slug = uniqueSlug(db, 'posts', `draft-${uid.slice(0, 8)}`);
  const result = sql(db, 'INSERT INTO posts (uid, author_id, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
    uid,
    author.id,
    slug,
    now,
    now,
  );
  return getPost(db, Number(result.lastInsertRowid))!;
}

export function getPost(db: Db, id: number): Post | null {
  return toPost(db, sql<[number], PostRow>(db, `${POST_SELECT} WHERE p.id = ?`).get(id));
}

export interface DashboardFilter {
  /** Only this account's posts (writers); null for everyone's (owners). */
  userId: number | null;
  query?: string;
  trash?: boolean;
  limit?: number;
}

export function listDashboardPosts(db: Db, filter: DashboardFilter): Post[] {
  const query = filter.query?.trim() ?? '';
  const rows = sql<[number, number | null, number | null, string, string, number], PostRow>(
    db,
    `${POST_SELECT}
     WHERE (p.deleted_at IS NOT NULL) = ? AND (? IS NULL OR a.user_id = ?)
       AND (? = '' OR p.title LIKE '%' || ? || '%' ESCAPE '\\')
     ORDER BY p.updated_at DESC LIMIT ?`,
  ).all(filter.trash ? 1 : 0, filter.userId, filter.userId, query, query.replace(/[\\%_]/g, (c) => '\\' + c), filter.limit ?? 500);
  return mapPosts(db, rows, false);
}

export interface PostContent {
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  text: string;
  wordCount: number;
  tags: string[];
}

export type SaveResult = { ok: true; post: Post } | { ok: false; reason: 'conflict'; current: Post } | { ok: false; reason: 'missing' };

/** Saves within this long of the last one, by the same person, extend the same history entry. */
export const REVISION_SESSION_GAP = 30 * 60_000;

/**
 * Saves a post's content if `baseRevision` is still the current one; otherwise reports a
 * conflict and changes nothing, so an edit made elsewhere is never overwritten silently.
 * A content change is kept in history: saves by the same person less than 30 minutes apart
 * grow one revision entry instead of adding hundreds.
 */
export function savePostContent(
  db: Db,
  input: { id: number; baseRevision: number; userId: number; now: number; significant?: boolean; newRevision?: boolean } & PostContent,
): SaveResult {
  return db
    .transaction((): SaveResult => {
      const current = getPost(db, input.id);
      if (!current || current.deletedAt !== null) return { ok: false, reason: 'missing' };
      if (current.revision !== input.baseRevision) return { ok: false, reason: 'conflict', current };

      const slug = uniqueSlug(db, 'posts', input.slug || slugify(input.title) || current.slug, current.id);
      if (slug !== current.slug && current.status === 'published') {
        // The old address keeps working: 301 to the new one.
        sql(db, 'INSERT INTO redirects (path, post_id) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET post_id = excluded.post_id').run(
          postPath(current),
          current.id,
        );
        sql(db, 'DELETE FROM redirects WHERE path = ?').run(postPath({ type: current.type, slug }));
      }
      const contentChanged = input.title !== current.title || input.html !== current.html;
      const significantAt = input.significant && current.status === 'published' ? input.now : current.significantUpdateAt;
      sql(
        db,
        `UPDATE posts SET title = ?, slug = ?, excerpt = ?, html = ?, text = ?, word_count = ?, revision = revision + 1,
                updated_at = ?, significant_update_at = ? WHERE id = ?`,
      ).run(input.title, slug, input.excerpt, input.html, input.text, input.wordCount, input.now, significantAt, current.id);
      setPostTags(db, current.id, input.tags);
      if (contentChanged) recordRevision(db, current.id, input.userId, input.title, input.html, input.wordCount, input.now, input.newRevision);
      return { ok: true, post: getPost(db, current.id)! };
    })
    .immediate();
}

function recordRevision(
  db: Db,
  postId: number,
  userId: number,
  title: string,
  html: string,
  wordCount: number,
  now: number,
  forceNew = false,
): void {
  const last = sql<[number], { id: number; user_id: number | null; saved_at: number }>(
    db,
    'SELECT id, user_id, saved_at FROM revisions WHERE post_id = ? ORDER BY saved_at DESC, id DESC LIMIT 1',
  ).get(postId);
  if (!forceNew && last && last.user_id === userId && now - last.saved_at < REVISION_SESSION_GAP) {
    sql(db, 'UPDATE revisions SET title = ?, html = ?, word_count = ?, saved_at = ? WHERE id = ?').run(title, html, wordCount, now, last.id);
  } else {
    sql(db, 'INSERT INTO revisions (post_id, user_id, title, html, word_count, started_at, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      postId,
      userId,
      title,
      html,
      wordCount,
      now,
      now,
    );
  }
}

export interface Revision {
  id: number;
  postId: number;
  userId: number | null;
  authorName: string | null;
  title: string;
  html: string;
  wordCount: number;
  startedAt: number;
  savedAt: number;
}

interface RevisionRow {
  id: number;
  post_id: number;
  user_id: number | null;
  author_name: string | null;
  title: string;
  html: string;
  word_count: number;
  started_at: number;
  saved_at: number;
}

const REVISION_SELECT = `SELECT r.id, r.post_id, r.user_id, u.display_name AS author_name, r.title, r.html, r.word_count, r.started_at, r.saved_at
  FROM revisions r LEFT JOIN users u ON u.id = r.user_id`;

function toRevision(row: RevisionRow): Revision {
  return {
    id: row.id,
    postId: row.post_id,
    userId: row.user_id,
    authorName: row.author_name,
    title: row.title,
    html: row.html,
    wordCount: row.word_count,
    startedAt: row.started_at,
    savedAt: row.saved_at,
  };
}

export function listRevisions(db: Db, postId: number): Revision[] {
  return sql<[number], RevisionRow>(db, `${REVISION_SELECT} WHERE r.post_id = ? ORDER BY r.saved_at DESC, r.id DESC`)
    .all(postId)
    .map(toRevision);
}

export function getRevision(db: Db, postId: number, revisionId: number): Revision | null {
  const row = sql<[number, number], RevisionRow>(db, `${REVISION_SELECT} WHERE r.post_id = ? AND r.id = ?`).get(postId, revisionId);
  return row ? toRevision(row) : null;
}

// ── Status changes ──────────────────────────────────────────────────────────
// These do not bump `revision`: it guards the text, and a status change in one tab must not
// make another tab's next save look like a conflict.

/** Publishes now. A post published before keeps its first publication date. */
export function publishPost(db: Db, id: number, now: number): void {
  sql(
    db,
    `UPDATE posts SET status = 'published',
       published_at = CASE WHEN status = 'scheduled' OR published_at IS NULL OR published_at > ? THEN ? ELSE published_at END,
       updated_at = ?
     WHERE id = ? AND deleted_at IS NULL`,
  ).run(now, now, now, id);
}

export function schedulePost(db: Db, id: number, at: number, now: number): void {
  sql(db, `UPDATE posts SET status = 'scheduled', published_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`).run(
    at,
    now,
    id,
  );
}

/** Back to draft. The publication date is kept so republishing is not a new announcement. */
export function unpublishPost(db: Db, id: number, now: number): void {
  sql(
    db,
    `UPDATE posts SET status = 'draft', published_at = CASE WHEN status = 'scheduled' THEN NULL ELSE published_at END,
       updated_at = ? WHERE id = ?`,
  ).run(now, id);
}

/** Scheduled posts whose time has come go live; runs with nobody present, and at every start. */
export function publishDuePosts(db: Db, now: number): number {
  return sql(db, `UPDATE posts SET status = 'published' WHERE status = 'scheduled' AND published_at <= ? AND deleted_at IS NULL`).run(now)
    .changes;
}

/** Deleting moves a post to the trash; it is gone for readers at once and for good after 30 days. */
export function trashPost(db: Db, id: number, now: number): void {
  // deleted_at alone hides it from every public query; the status is kept so a restore puts it back as it was.
  sql(
    db,
    `UPDATE posts SET deleted_at = ?, status = CASE WHEN status = 'scheduled' THEN 'draft' ELSE status END
     WHERE id = ? AND deleted_at IS NULL`,
  ).run(now, id);
}

export function restorePost(db: Db, id: number, now: number): void {
  sql(db, 'UPDATE posts SET deleted_at = NULL, updated_at = ? WHERE id = ?').run(now, id);
}

export const TRASH_RETENTION = 30 * 24 * 60 * 60_000;

export function purgeTrash(db: Db, now: number): number {
  return sql(db, 'DELETE FROM posts WHERE deleted_at IS NOT NULL AND deleted_at <= ?').run(now - TRASH_RETENTION).changes;
}

// ── Reading (public) ────────────────────────────────────────────────────────

/** Where a post lives for readers. Pages (from Ghost) sit at the root; posts under /posts/. */
export function postPath(post: Pick<Post, 'type' | 'slug'>): string {
  return post.type === 'page' ? `/${post.slug}` : `/posts/${post.slug}`;
}

// Spelled exactly as the partial indexes of migration 0006 are (posts_published and
// posts_published_by_author): SQLite uses a partial index only for a query whose WHERE repeats
// the index's condition literally, so this must stay literal SQL, never bound parameters.
const PUBLIC = `p.status = 'published' AND p.deleted_at IS NULL`;

export interface PublicFilter {
  authorId?: number;
  tagId?: number;
  /** Start and end (exclusive) of a time range, e.g. a year. */
  from?: number;
  to?: number;
}

function filterSql(filter: PublicFilter): { where: string; params: (number | string)[] } {
  const clauses = [PUBLIC, `p.type = 'post'`];
  const params: number[] = [];
  if (filter.authorId !== undefined) {
    clauses.push('p.author_id = ?');
    params.push(filter.authorId);
  }
  if (filter.tagId !== undefined) {
    // IN rather than a correlated EXISTS: SQLite reads the tag's posts once (post_tags_tag) into
    // a bloom-filtered list, instead of probing post_tags once per published post.
    clauses.push('p.id IN (SELECT pt.post_id FROM post_tags pt WHERE pt.tag_id = ?)');
    params.push(filter.tagId);
  }
  if (filter.from !== undefined) {
    clauses.push('p.published_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    clauses.push('p.published_at < ?');
    params.push(filter.to);
  }
  return { where: clauses.join(' AND '), params };
}

/**
 * Published posts, newest first. The page's ids are picked in the index first: joined with
 * authors straight away, SQLite would read every skipped post's row to find its author, and
 * page 500 of the home page would read 5,000 posts to show 10.
 */
export function listPublishedPosts(db: Db, filter: PublicFilter, limit: number, offset = 0): Post[] {
  const { where, params } = filterSql(filter);
  const rows = sql<(number | string)[], PostRow>(
    db,
    `${POST_SELECT} WHERE p.id IN (SELECT p.id FROM posts p WHERE ${where} ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?)
     ORDER BY p.published_at DESC, p.id DESC`,
  ).all(...params, limit, offset);
  return mapPosts(db, rows);
}

export type PostHeadline = Pick<Post, 'id' | 'type' | 'slug' | 'title' | 'publishedAt'>;

/**
 * Published posts, newest first, with only what a list of titles shows (a year's page): no
 * text, no tags. A year can hold a thousand posts; reading each one whole took 50 ms.
 */
export function listPublishedHeadlines(db: Db, filter: PublicFilter, limit: number): PostHeadline[] {
  const { where, params } = filterSql(filter);
  return sql<(number | string)[], { id: number; type: 'post' | 'page'; slug: string; title: string; published_at: number | null }>(
    db,
    `SELECT p.id, p.type, p.slug, p.title, p.published_at FROM posts p WHERE ${where} ORDER BY p.published_at DESC, p.id DESC LIMIT ?`,
  )
    .all(...params, limit)
    .map((row) => ({ id: row.id, type: row.type, slug: row.slug, title: row.title, publishedAt: row.published_at }));
}

/**
 * How many published posts match. All of them: one row that triggers keep current (migration
 * 0007). A writer's, a tag's or a year's: counted in the posts_published indexes, without
 * reading a post.
 */
export function countPublishedPosts(db: Db, filter: PublicFilter): number {
  if (Object.values(filter).every((value) => value === undefined)) {
    return (sql<[], { count: number }>(db, "SELECT count FROM public_post_counts WHERE type = 'post'").get() as { count: number }).count;
  }
  const { where, params } = filterSql(filter);
  return (sql<(number | string)[], { n: number }>(db, `SELECT count(*) AS n FROM posts p WHERE ${where}`).get(...params) as { n: number }).n;
}

/** Whether any published post matches (a writer's or a tag's feed exists): stops at the first. */
export function hasPublishedPosts(db: Db, filter: PublicFilter): boolean {
  const { where, params } = filterSql(filter);
  return (sql<(number | string)[], { found: number }>(db, `SELECT EXISTS (SELECT 1 FROM posts p WHERE ${where}) AS found`).get(...params) as { found: number })
    .found === 1;
}

export function getPublishedBySlug(db: Db, type: 'post' | 'page', slug: string): Post | null {
  return toPost(db, sql<[string, string], PostRow>(db, `${POST_SELECT} WHERE ${PUBLIC} AND p.type = ? AND p.slug = ?`).get(type, slug));
}

export function getPostByUid(db: Db, uid: string): Post | null {
  return toPost(db, sql<[string], PostRow>(db, `${POST_SELECT} WHERE p.uid = ?`).get(uid));
}

/**
 * The published posts just before and after this one, by publication date. The row-value
 * comparison is a range on posts_published, so each is one index seek however far back the post is.
 */
export function adjacentPosts(db: Db, post: Post): { previous: Post | null; next: Post | null } {
  const at = post.publishedAt ?? 0;
  const previous = sql<[number, number], PostRow>(
    db,
    `${POST_SELECT} WHERE ${PUBLIC} AND p.type = 'post' AND (p.published_at, p.id) < (?, ?)
     ORDER BY p.published_at DESC, p.id DESC LIMIT 1`,
  ).get(at, post.id);
  const next = sql<[number, number], PostRow>(
    db,
    `${POST_SELECT} WHERE ${PUBLIC} AND p.type = 'post' AND (p.published_at, p.id) > (?, ?)
     ORDER BY p.published_at ASC, p.id ASC LIMIT 1`,
  ).get(at, post.id);
  return { previous: toPost(db, previous, false), next: toPost(db, next, false) };
}

export function findRedirect(db: Db, path: string): Post | null {
  const row = sql<[string], { post_id: number }>(db, 'SELECT post_id FROM redirects WHERE path = ?').get(path);
  if (!row) return null;
  const post = getPost(db, row.post_id);
  return post && post.status === 'published' && post.deletedAt === null ? post : null;
}

/**
 * Years with published posts and how many, newest first, for the archive. Walks the years that
 * have posts from the newest down: per year one seek for the newest post before it and one count
 * of an index range, so the work grows with the number of years, not of posts.
 */
export function publishedYears(db: Db): { year: number; count: number }[] {
  const where = `${PUBLIC} AND p.type = 'post'`;
  const newestBefore = sql<[number], { at: number | null }>(db, `SELECT max(p.published_at) AS at FROM posts p WHERE ${where} AND p.published_at < ?`);
  const countBetween = sql<[number, number], { n: number }>(
    db,
    `SELECT count(*) AS n FROM posts p WHERE ${where} AND p.published_at >= ? AND p.published_at < ?`,
  );
  const years: { year: number; count: number }[] = [];
  // Published posts always have a date; the bound only keeps a corrupt row from looping forever.
  let before = Number.MAX_SAFE_INTEGER;
  for (let guard = 0; guard < 10_000; guard++) {
    const at = newestBefore.get(before)!.at;
    if (at === null) break;
    const year = new Date(at).getUTCFullYear();
    const start = startOfYear(year);
    years.push({ year, count: countBetween.get(start, before)!.n });
    before = start;
  }
  return years;
}

/** 1 January of `year`, 00:00 UTC, in ms. (Date.UTC would read the years 0–99 as 1900–1999.) */
function startOfYear(year: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, 0, 1);
  return date.getTime();
}

/** Every public page's path and last change, for the sitemap: read from its index (0008) alone. */
export function listPublicPaths(db: Db): { path: string; updatedAt: number }[] {
  return sql<[], { type: 'post' | 'page'; slug: string; updated_at: number }>(
    db,
    `SELECT p.type, p.slug, p.updated_at FROM posts p INDEXED BY posts_published_sitemap WHERE ${PUBLIC} ORDER BY p.published_at DESC`,
  )
    .all()
    .map((row) => ({ path: postPath(row), updatedAt: row.updated_at }));
}

export function listPublicAuthors(db: Db): Author[] {
  return sql<[], { id: number; user_id: number | null; name: string; slug: string }>(
    db,
    `SELECT a.id, a.user_id, a.name, a.slug FROM authors a WHERE EXISTS (SELECT 1 FROM posts p WHERE p.author_id = a.id AND ${PUBLIC})
     ORDER BY a.name`,
  )
    .all()
    .map((row) => ({ id: row.id, userId: row.user_id, name: row.name, slug: row.slug }));
}

export function listPublicTags(db: Db): (Tag & { count: number })[] {
  return sql<[], Tag & { count: number }>(
    db,
    `SELECT t.id, t.name, t.slug, count(*) AS count FROM tags t JOIN post_tags pt ON pt.tag_id = t.id JOIN posts p ON p.id = pt.post_id
     WHERE ${PUBLIC} GROUP BY t.id ORDER BY count DESC, t.name`,
  ).all();
}

export interface SearchHit {
  post: Post;
  /** Plain text with \u0002 … \u0003 around matched terms; the view escapes and turns them into <mark>. */
  snippet: string;
}

export interface SearchResults {
  hits: SearchHit[];
  /** Matches counted, at most SEARCH_COUNT_LIMIT. */
  total: number;
  /** True when there are more than `total` matches: the count stopped at the limit. */
  more: boolean;
}

/** Counting stops here: "more than 1,000 results" tells a reader as much as an exact figure. */
export const SEARCH_COUNT_LIMIT = 1000;

/**
 * Full-text search over published posts (posts_fts holds nothing else: migration 0006). The
 * reader's words become quoted FTS5 terms, so punctuation or FTS syntax in a query can never
 * cause an error, only fewer matches. Words of two letters or more match as prefixes (served by
 * the prefix index); a single letter only as a whole word, since as a prefix it would match
 * most of the vocabulary.
 *
 * Only what the page shows is read in full: the count stops at SEARCH_COUNT_LIMIT, the ranking
 * reads the index alone and returns the page's ids, and posts and snippets are read for those.
 */
export function searchPublishedPosts(db: Db, query: string, limit: number, offset = 0): SearchResults {
  const terms = query.match(/[\p{L}\p{N}_]+/gu)?.slice(0, 12) ?? [];
  if (terms.length === 0) return { hits: [], total: 0, more: false };
  const match = terms.map((t) => ([...t].length > 1 ? `"${t}"*` : `"${t}"`)).join(' ');
  // One read transaction: the count, the page and its rows all see the same posts.
  return db.transaction((): SearchResults => {
    const counted = (
      sql<[string, number], { n: number }>(db, 'SELECT count(*) AS n FROM (SELECT 1 FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)').get(
        match,
        SEARCH_COUNT_LIMIT + 1,
      ) as { n: number }
    ).n;
    const ids = sql<[string, number, number], { id: number }>(
      db,
      'SELECT rowid AS id FROM posts_fts WHERE posts_fts MATCH ? ORDER BY bm25(posts_fts, 5.0, 1.0) LIMIT ? OFFSET ?',
    )
      .all(match, limit, offset)
      .map((row) => row.id);
    if (ids.length === 0) return { hits: [], total: Math.min(counted, SEARCH_COUNT_LIMIT), more: counted > SEARCH_COUNT_LIMIT };
    // The page's posts with their snippets, in one pass over the matches. "+f.rowid" makes the
    // id list a plain filter: as a constraint FTS5 would set the whole query up again per id.
    const rows = sql<[string, string], PostRow & { snippet: string }>(
      db,
      `${POST_SELECT.replace('FROM posts p', ", snippet(posts_fts, 1, char(2), char(3), '…', 24) AS snippet FROM posts_fts f JOIN posts p ON p.id = f.rowid")}
       WHERE posts_fts MATCH ? AND +f.rowid IN (SELECT value FROM json_each(?))`,
    ).all(match, JSON.stringify(ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const hits = ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ post: toPost(db, row, false) as Post, snippet: row.snippet }] : [];
    });
    return { hits, total: Math.min(counted, SEARCH_COUNT_LIMIT), more: counted > SEARCH_COUNT_LIMIT };
  })();
}

export interface PublicIndexes {
  years: { year: number; updatedAt: number }[];
  authors: { slug: string; updatedAt: number }[];
  tags: { slug: string; updatedAt: number }[];
}

/**
 * The list pages readers can open (years, writers, tags) and their newest post's last change, for
 * the sitemap. The posts' side is read from the sitemap index (0008), never from the posts.
 */
export function listPublicIndexes(db: Db): PublicIndexes {
  const where = `${PUBLIC} AND p.type = 'post'`;
  const posts = 'posts p INDEXED BY posts_published_sitemap';
  return {
    years: sql<[], { year: number; updatedAt: number }>(
      db,
      `SELECT CAST(strftime('%Y', p.published_at / 1000, 'unixepoch') AS INTEGER) AS year, max(p.updated_at) AS updatedAt
       FROM ${posts} WHERE ${where} GROUP BY year ORDER BY year DESC`,
    ).all(),
    authors: sql<[], { slug: string; updatedAt: number }>(
      db,
      `SELECT a.slug, max(p.updated_at) AS updatedAt FROM ${posts} JOIN authors a ON a.id = p.author_id WHERE ${where} GROUP BY a.id ORDER BY a.slug`,
    ).all(),
    tags: sql<[], { slug: string; updatedAt: number }>(
      db,
      `SELECT t.slug, max(p.updated_at) AS updatedAt FROM ${posts} JOIN post_tags pt ON pt.post_id = p.id JOIN tags t ON t.id = pt.tag_id
       WHERE ${where} GROUP BY t.id ORDER BY t.slug`,
    ).all(),
  };
}

/** The public-content version and when it last changed: drives the page cache, ETag and Last-Modified. */
export function publicState(db: Db): { version: number; changedAt: number } {
  const row = sql<[], { version: number; changed_at: number }>(db, 'SELECT version, changed_at FROM public_state WHERE id = 1').get()!;
  return { version: row.version, changedAt: row.changed_at };
}

// ── Preview links ───────────────────────────────────────────────────────────

export function insertPreviewLink(db: Db, postId: number, tokenHash: Buffer, now: number): void {
  sql(db, 'INSERT INTO preview_links (post_id, token_hash, created_at) VALUES (?, ?, ?)').run(postId, tokenHash, now);
}

export function getPostByPreviewTokenHash(db: Db, tokenHash: Buffer): Post | null {
  const row = sql<[Buffer], { post_id: number }>(db, 'SELECT post_id FROM preview_links WHERE token_hash = ? AND revoked_at IS NULL').get(tokenHash);
  if (!row) return null;
  const post = getPost(db, row.post_id);
  return post && post.deletedAt === null ? post : null;
}

export function countPreviewLinks(db: Db, postId: number): number {
  return (sql<[number], { n: number }>(db, 'SELECT count(*) AS n FROM preview_links WHERE post_id = ? AND revoked_at IS NULL').get(postId) as {
    n: number;
  }).n;
}

export function revokePreviewLinks(db: Db, postId: number, now: number): number {
  return sql(db, 'UPDATE preview_links SET revoked_at = ? WHERE post_id = ? AND revoked_at IS NULL').run(now, postId).changes;
}
