import type { Post } from '../../src/db/posts.js';
import { postPath } from '../../src/db/posts.js';
import { excerptOf } from '../../src/lib/excerpt.js';
import { formatDate, isoDate } from '../../src/lib/time.js';

export function titleOf(post: Pick<Post, 'title'>): string {
  return post.title.trim() || 'Untitled';
}

export function Time({ at }: { at: number }) {
  return <time datetime={isoDate(at)}>{formatDate(at)}</time>;
}

export function Byline({ post, linkAuthor = true }: { post: Post; linkAuthor?: boolean }) {
  return (
    <p class="byline">
      {post.publishedAt !== null ? <Time at={post.publishedAt} /> : null}
      {' · '}
      {linkAuthor ? <a href={`/authors/${post.author.slug}`}>{post.author.name}</a> : <span>{post.author.name}</span>}
    </p>
  );
}

/** One post in a list: its title as a link, date and author, and a short excerpt. */
export function PostSummary({ post, linkAuthor = true }: { post: Post; linkAuthor?: boolean }) {
  return (
    <article class="summary">
      <h2>
        <a href={postPath(post)}>{titleOf(post)}</a>
      </h2>
      <Byline post={post} linkAuthor={linkAuthor} />
      <p>{excerptOf(post)}</p>
    </article>
  );
}

export function PostList({ posts, linkAuthor = true, empty }: { posts: Post[]; linkAuthor?: boolean; empty: string }) {
  if (posts.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="summaries">
      {posts.map((post) => (
        <PostSummary post={post} linkAuthor={linkAuthor} />
      ))}
    </div>
  );
}

export interface Pagination {
  page: number;
  pages: number;
  /** The address of page n (page 1 has no ?page). */
  href: (page: number) => string;
}

/** Newer and older pages of a list; plain links, so it works without script. */
export function Pager({ page, pages, href }: Pagination) {
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {page > 1 ? (
        <a href={href(page - 1)} rel="prev">
          ← Newer
        </a>
      ) : (
        <span />
      )}
      <span class="muted">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <a href={href(page + 1)} rel="next">
          Older →
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}

/**
 * A search snippet: plain text with \u0002 … \u0003 around matched words. Each piece goes
 * through JSX's escaping; only the <mark> elements are ours, so nothing in a post's text can
 * become markup here.
 */
export function Highlighted({ snippet }: { snippet: string }) {
  const pieces: { text: string; hit: boolean }[] = [];
  let hit = false;
  // eslint-disable-next-line no-control-regex -- the markers searchPublishedPosts puts around hits
  for (const part of snippet.split(/([\u0002\u0003])/)) {
    if (part === '\u0002') hit = true;
    else if (part === '\u0003') hit = false;
    else if (part !== '') pieces.push({ text: part, hit });
  }
  return <>{pieces.map((piece) => (piece.hit ? <mark>{piece.text}</mark> : piece.text))}</>;
}
