// What both exports (the blog's and a writer's own) say about each post: one query fragment,
// one row type and one mapping, so the two archives always describe a post the same way.
import { sql, type Db } from './database.js';
import type { PostStatus } from './posts.js';

export interface PostFacts {
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
}

export interface PostFactsRow {
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
}

/** The columns of PostFactsRow, for a query on `posts p`. */
export const POST_FACT_COLUMNS = `p.id, p.uid, p.type, p.title, p.slug, p.excerpt, p.html, p.status, p.word_count, p.created_at,
  p.updated_at, p.published_at, p.significant_update_at, p.deleted_at`;

export function postFacts(row: PostFactsRow): PostFacts {
  return {
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
  };
}

/** A post's tag names in their order. */
export function postTagNames(db: Db): (postId: number) => string[] {
  const tags = sql<[number], { name: string }>(
    db,
    'SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id = ? ORDER BY pt.position',
  );
  return (postId) => tags.all(postId).map((t) => t.name);
}
