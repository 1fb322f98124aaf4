// Every post of the blog, read for the owners' "export everything" (src/ops/export.ts): drafts,
// scheduled, published and trashed posts and pages alike, with byline and tags.
import { sql, type Db } from './database.js';
import type { PostStatus } from './posts.js';

export interface BlogExportPost {
  id: number;
  uid: string;
  type: 'post' | 'page';
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  status: PostStatus;
  wordCount: number;
  createdAt: number;
  updatedAt: number;
  publishedAt: number | null;
  significantUpdateAt: number | null;
  deletedAt: number | null;
  author: { name: string; slug: string; username: string | null };
  tags: string[];
  revisions: number;
}

interface Row {
  id: number;
  uid: string;
  type: 'post' | 'page';
  title: string;
  slug: string;
  excerpt: string;
  html: string;
  status: PostStatus;
  word_count: number;
  created_at: number;
  updated_at: number;
  published_at: number | null;
  significant_update_at: number | null;
  deleted_at: number | null;
  author_name: string;
  author_slug: string;
  username: string | null;
  revisions: number;
}

/** All posts, oldest first. */
export function listAllPostsForExport(db: Db): BlogExportPost[] {
  const rows = sql<[], Row>(
    db,
    `SELECT p.id, p.uid, p.type, p.title, p.slug, p.excerpt, p.html, p.status, p.word_count, p.created_at, p.updated_at,
            p.published_at, p.significant_update_at, p.deleted_at, a.name AS author_name, a.slug AS author_slug, u.username,
            (SELECT count(*) FROM revisions r WHERE r.post_id = p.id) AS revisions
     FROM posts p JOIN authors a ON a.id = p.author_id LEFT JOIN users u ON u.id = a.user_id
     ORDER BY p.created_at, p.id`,
  ).all();
  const tags = sql<[number], { name: string }>(
    db,
    'SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = ? ORDER BY pt.position',
  );
  return rows.map((row) => ({
    id: row.id,
    uid: row.uid,
    type: row.type,
    title: row.title,
    slug: row.slug,
    excerpt: row.excerpt,
    html: row.html,
    status: row.status,
    wordCount: row.word_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    significantUpdateAt: row.significant_update_at,
    deletedAt: row.deleted_at,
    author: { name: row.author_name, slug: row.author_slug, username: row.username },
    tags: tags.all(row.id).map((t) => t.name),
    revisions: row.revisions,
  }));
}
