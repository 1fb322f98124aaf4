// What keeps reading fast on a blog of years (migration 0006), checked by how SQLite plans the
// queries rather than by timing them: the public lists, counts and neighbours read the index of
// published posts, never every post; the search index and the count of public posts (0007) hold
// exactly the published posts.
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import {
  adjacentPosts,
  countPublishedPosts,
  hasPublishedPosts,
  listPublicIndexes,
  listPublicPaths,
  listPublishedHeadlines,
  listPublishedPosts,
  publishDuePosts,
  publishedYears,
  publishPost,
  purgeTrash,
  restorePost,
  schedulePost,
  trashPost,
  TRASH_RETENTION,
  unpublishPost,
} from '../../src/db/posts.js';
import { DAY } from '../../src/lib/clock.js';
import { makeApp } from '../helpers.js';
import { draft, edit, makeWriter, publish } from '../reading-fixtures.js';

/** The SQL each statement `run` prepares, with SQLite's plan for it (parameters bound to NULL). */
function plansOf(db: Db, run: () => void): { sql: string; plan: string[] }[] {
  const prepare = db.prepare.bind(db);
  const texts: string[] = [];
  db.prepare = ((text: string) => {
    texts.push(text);
    return prepare(text);
  }) as Db['prepare'];
  try {
    run();
  } finally {
    db.prepare = prepare;
  }
  return texts.map((text) => {
    const params = Array.from({ length: (text.match(/\?/g) ?? []).length }, () => null);
    const plan = (prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[]).map((row) => row.detail);
    return { sql: text, plan };
  });
}

/** Plan lines that read the posts table or an index of it (alias p), as opposed to authors, tags… */
const postsLines = (plan: string[]) => plan.filter((line) => /^(SCAN|SEARCH) (p|posts)\b/.test(line));

describe('public queries on a blog of years', () => {
  it('count, pages, neighbours, years, feeds and the sitemap read indexes of published posts, never every post', () => {
    const { db } = makeApp();
    const ada = makeWriter(db);
    const t0 = Date.UTC(2024, 0, 1);
    const posts = [0, 1, 2].map((i) => publish(db, ada, t0 + i * 200 * DAY, { title: `Post ${i}` }));
    const statements = plansOf(db, () => {
      countPublishedPosts(db, {});
      listPublishedPosts(db, {}, 10, 10);
      listPublishedPosts(db, { authorId: ada.author.id }, 10);
      countPublishedPosts(db, { authorId: ada.author.id });
      hasPublishedPosts(db, { authorId: ada.author.id });
      adjacentPosts(db, posts[1]!);
      publishedYears(db);
      listPublishedHeadlines(db, { from: Date.UTC(2024, 0, 1), to: Date.UTC(2025, 0, 1) }, 1000);
      listPublicPaths(db);
      listPublicIndexes(db);
    });
    expect(statements.length).toBeGreaterThanOrEqual(12);
    // The home page's count reads one row that triggers keep current (0007), not the posts.
    expect(statements[0]!.plan.join()).toMatch(/^SEARCH public_post_counts USING PRIMARY KEY \(type=\?\)$/);
    for (const { sql, plan } of statements) {
      const lines = postsLines(plan);
      if (lines.length === 0) continue; // authors, tags
      // Scanning the table reads every post; so does posts_public (0002), which has neither `type`
      // nor `updated_at`: both sit after a post's text in its row.
      expect(lines.filter((line) => /^SCAN (p|posts)$|posts_public\b/.test(line)), `${sql}\n${plan.join('\n')}`).toEqual([]);
      expect(lines.some((line) => /INDEX posts_published(_by_author|_sitemap)?\b/.test(line)), `${sql}\n${plan.join('\n')}`).toBe(true);
    }
    // Previous/next are one seek into a range, however far back the post is.
    const neighbours = statements.filter((s) => s.sql.includes('(p.published_at, p.id)'));
    expect(neighbours.map((s) => postsLines(s.plan).join())).toEqual([
      expect.stringMatching(/posts_published \(type=\? AND published_at<\?\)/),
      expect.stringMatching(/posts_published \(type=\? AND published_at>\?\)/),
    ]);
  });

  it('gives the same answers as before: counts, pages, neighbours and years', () => {
    const { db } = makeApp();
    const ada = makeWriter(db);
    const grace = makeWriter(db, 'Grace Hopper');
    // Two posts at the very same moment: the id breaks the tie, in both directions.
    const at = Date.UTC(2025, 11, 31, 23, 59);
    const a = publish(db, ada, at, { title: 'Same time A' });
    const b = publish(db, grace, at, { title: 'Same time B' });
    const older = publish(db, ada, Date.UTC(2023, 4, 1), { title: 'Older' });
    const newest = publish(db, ada, Date.UTC(2026, 0, 1), { title: 'Newest' });
    draft(db, ada, at, { title: 'Draft' });
    expect(countPublishedPosts(db, {})).toBe(4);
    expect(listPublishedPosts(db, {}, 2, 1).map((p) => p.title)).toEqual(['Same time B', 'Same time A']);
    expect(listPublishedPosts(db, { authorId: ada.author.id }, 10).map((p) => p.title)).toEqual(['Newest', 'Same time A', 'Older']);
    expect(adjacentPosts(db, b)).toMatchObject({ previous: { id: a.id }, next: { id: newest.id } });
    expect(adjacentPosts(db, a)).toMatchObject({ previous: { id: older.id }, next: { id: b.id } });
    expect(adjacentPosts(db, older).previous).toBeNull();
    expect(adjacentPosts(db, newest).next).toBeNull();
    expect(publishedYears(db)).toEqual([
      { year: 2026, count: 1 },
      { year: 2025, count: 2 },
      { year: 2023, count: 1 },
    ]);
    expect(hasPublishedPosts(db, { authorId: grace.author.id })).toBe(true);
    unpublishPost(db, b.id, at + DAY);
    expect(hasPublishedPosts(db, { authorId: grace.author.id })).toBe(false);
  });
});

describe('the search index and the count of public posts', () => {
  /** Ids in the full-text index (its docsize table has one row per indexed post) and in posts, readers' view. */
  function indexed(db: Db) {
    const inIndex = db.prepare('SELECT id FROM posts_fts_docsize ORDER BY id').pluck().all();
    const visible = db.prepare("SELECT id FROM posts WHERE status = 'published' AND deleted_at IS NULL ORDER BY id").pluck().all();
    // rank 1: also compares the index with its content, the published posts, token by token.
    db.prepare("INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)").run();
    const counted = db.prepare('SELECT type, count FROM public_post_counts ORDER BY type').all();
    const counts = db
      .prepare(
        `SELECT t.type, (SELECT count(*) FROM posts p WHERE p.type = t.type AND p.status = 'published' AND p.deleted_at IS NULL) AS count
         FROM (SELECT 'page' AS type UNION ALL SELECT 'post') t ORDER BY t.type`,
      )
      .all();
    expect(counted).toEqual(counts);
    return { inIndex, visible };
  }

  it('hold exactly the published posts through every change a post goes through', () => {
    const { db } = makeApp();
    const ada = makeWriter(db);
    const t0 = Date.UTC(2026, 0, 1);
    const steps: [string, () => void][] = [];
    let post = draft(db, ada, t0, { title: 'Walrus notes', html: '<p>First words.</p>' });
    steps.push(['a draft', () => (post = edit(db, ada, post, t0 + 1, { html: '<p>Second words.</p>' }))]);
    steps.push(['published', () => publishPost(db, post.id, t0 + 2)]);
    steps.push(['edited while published', () => (post = edit(db, ada, post, t0 + 3, { title: 'Walrus facts', html: '<p>Third words.</p>' }))]);
    steps.push(['unpublished', () => unpublishPost(db, post.id, t0 + 4)]);
    steps.push(['scheduled', () => schedulePost(db, post.id, t0 + DAY, t0 + 5)]);
    steps.push(['scheduled time came', () => publishDuePosts(db, t0 + DAY)]);
    steps.push(['trashed', () => trashPost(db, post.id, t0 + 2 * DAY)]);
    steps.push(['restored', () => restorePost(db, post.id, t0 + 3 * DAY)]);
    steps.push(['trashed and purged', () => (trashPost(db, post.id, t0 + 4 * DAY), purgeTrash(db, t0 + 4 * DAY + TRASH_RETENTION))]);
    const other = publish(db, ada, t0, { title: 'Another', html: '<p>Kept.</p>' });
    // Pages (imported from Ghost) are counted apart from posts.
    steps.push(['a post became a page', () => db.prepare("UPDATE posts SET type = 'page' WHERE id = ?").run(other.id)]);
    steps.push(['deleted while published', () => db.prepare('DELETE FROM posts WHERE id = ?').run(other.id)]);
    const seen: string[] = [];
    for (const [name, step] of steps) {
      step();
      const { inIndex, visible } = indexed(db);
      expect(inIndex, name).toEqual(visible);
      seen.push(`${name}: ${inIndex.length}`);
    }
    // Control: the steps really moved posts in and out of the index.
    expect(seen).toEqual([
      'a draft: 1',
      'published: 2',
      'edited while published: 2',
      'unpublished: 1',
      'scheduled: 1',
      'scheduled time came: 2',
      'trashed: 1',
      'restored: 2',
      'trashed and purged: 1',
      'a post became a page: 1',
      'deleted while published: 0',
    ]);
  });
});
