// Every post of the blog, read for the owners' "export everything" (src/ops/export.ts): drafts,
// scheduled, published and trashed posts and pages alike, with byline and tags.
import { sql, type Db } from './database.js';
import { POST_FACT_COLUMNS, postFacts, postTagNames, type PostFacts, type PostFactsRow } from './post-facts.js';

export interface BlogExportPost extends PostFacts {
  author: { name: string; slug: string; username: string | null };
  tags: string[];
  revisions: number;
}

interface Row extends PostFactsRow {
  author_name: string;
  author_slug: string;
  username: string | null;
  revisions: number;
}

/** All posts, oldest first. */
export function listAllPostsForExport(db: Db): BlogExportPost[] {
  const rows = sql<[], Row>(
    db,
    `SELECT ${POST_FACT_COLUMNS}, a.name AS author_name, a.slug AS author_slug, u.username,
            (SELECT count(*) FROM revisions r WHERE r.post_id = p.id) AS revisions
     FROM posts p JOIN authors a ON a.id = p.author_id LEFT JOIN users u ON u.id = a.user_id
     ORDER BY p.created_at, p.id`,
  ).all();
  const tagsOf = postTagNames(db);
  return rows.map((row) => ({
    ...postFacts(row),
    author: { name: row.author_name, slug: row.author_slug, username: row.username },
    tags: tagsOf(row.id),
    revisions: row.revisions,
  }));
}
