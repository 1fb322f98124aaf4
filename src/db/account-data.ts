// An account's writing, read for "download everything", and the account's removal.
// Reads the posts tables with its own queries: the export wants every post of the writer
// (drafts, trash and all) with every revision, which no page of the editor needs.
import { sql, type Db } from './database.js';
import { POST_FACT_COLUMNS, postFacts, postTagNames, type PostFacts, type PostFactsRow } from './post-facts.js';
import { authorForUser } from './posts.js';
import { getUserById, type Role } from './users.js';

export interface ExportRevision {
  id: number;
  title: string;
  html: string;
  wordCount: number;
  startedAt: number;
  savedAt: number;
}

export interface ExportPost extends PostFacts {
  byline: string;
  tags: string[];
  revisions: ExportRevision[];
}

interface PostRow extends PostFactsRow {
  byline: string;
}

interface RevisionRow {
  id: number;
  title: string;
  html: string;
  word_count: number;
  started_at: number;
  saved_at: number;
}

/** Every post whose byline is this account's, oldest first, with tags and revisions (oldest first). */
export function listPostsForExport(db: Db, userId: number): ExportPost[] {
  const posts = sql<[number], PostRow>(
    db,
    `SELECT ${POST_FACT_COLUMNS}, a.name AS byline
     FROM posts p JOIN authors a ON a.id = p.author_id
     WHERE a.user_id = ? ORDER BY p.created_at, p.id`,
  ).all(userId);
  const tagsOf = postTagNames(db);
  const revisions = sql<[number], RevisionRow>(
    db,
    'SELECT id, title, html, word_count, started_at, saved_at FROM revisions WHERE post_id = ? ORDER BY saved_at, id',
  );
  return posts.map((row) => ({
    ...postFacts(row),
    byline: row.byline,
    tags: tagsOf(row.id),
    revisions: revisions.all(row.id).map((r) => ({
      id: r.id,
      title: r.title,
      html: r.html,
      wordCount: r.word_count,
      startedAt: r.started_at,
      savedAt: r.saved_at,
    })),
  }));
}

export function countPostsByUser(db: Db, userId: number): number {
  return (sql<[number], { n: number }>(db, 'SELECT count(*) AS n FROM posts p JOIN authors a ON a.id = p.author_id WHERE a.user_id = ?').get(userId) as {
    n: number;
  }).n;
}

export function countOwners(db: Db): number {
  return (sql<[], { n: number }>(db, "SELECT count(*) AS n FROM users WHERE role = 'owner'").get() as { n: number }).n;
}

export function setUserRole(db: Db, userId: number, role: Role): boolean {
  return sql(db, 'UPDATE users SET role = ? WHERE id = ?').run(role, userId).changes === 1;
}

export type DeleteOutcome = 'deleted' | 'last-owner' | 'missing' | 'bad-heir';

/**
 * Deletes the account. Its posts are deleted with it (`heirId` null) or moved to the owner
 * `heirId`, whose byline they then carry. Checked and done in one immediate transaction, so two
 * owners leaving at once cannot leave the blog with none.
 */
export function deleteAccount(db: Db, userId: number, heirId: number | null): DeleteOutcome {
  return db
    .transaction((): DeleteOutcome => {
      const user = getUserById(db, userId);
      if (!user) return 'missing';
      if (user.role === 'owner' && countOwners(db) <= 1) return 'last-owner';
      const authorIds = sql<[number], { id: number }>(db, 'SELECT id FROM authors WHERE user_id = ?')
        .all(userId)
        .map((row) => row.id);
      if (heirId !== null) {
        const heir = getUserById(db, heirId);
        if (!heir || heir.role !== 'owner' || heir.id === userId) return 'bad-heir';
        const target = authorForUser(db, heir);
        for (const authorId of authorIds) sql(db, 'UPDATE posts SET author_id = ? WHERE author_id = ?').run(target.id, authorId);
      } else {
        // Revisions, tags, redirects and preview links go with their posts (ON DELETE CASCADE).
        for (const authorId of authorIds) sql(db, 'DELETE FROM posts WHERE author_id = ?').run(authorId);
      }
      for (const authorId of authorIds) sql(db, 'DELETE FROM authors WHERE id = ?').run(authorId);
      // Sessions, factors, events and links go with the account (ON DELETE CASCADE).
      sql(db, 'DELETE FROM users WHERE id = ?').run(userId);
      return 'deleted';
    })
    .immediate();
}
