import { postPath, type Post } from '../../src/db/posts.js';
import { excerptOf } from '../../src/lib/excerpt.js';
import { absoluteImageUrls } from '../../src/lib/media-store.js';
import type { Chrome } from '../layout.js';
import { trustedHtml } from '../raw.js';
import { PublicFrame } from './frame.js';
import { Time, titleOf } from './parts.js';

export interface PostPageProps {
  chrome: Chrome;
  publicUrl: string;
  post: Post;
  /** The posts published just before (older) and after (newer) this one. */
  adjacent?: { previous: Post | null; next: Post | null };
  /** A private preview: kept out of search engines, addressed by its own link. */
  preview?: { path: string };
}

/** A post (or a page) as readers see it; also what a preview link shows. */
export function PostPage({ chrome, publicUrl, post, adjacent, preview }: PostPageProps) {
  const isPost = post.type === 'post';
  const title = titleOf(post);
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{
        title,
        description: excerptOf(post) || title,
        path: preview?.path ?? postPath(post),
        type: isPost ? 'article' : 'website',
        article:
          isPost && post.publishedAt !== null
            ? {
                publishedAt: post.publishedAt,
                modifiedAt: post.significantUpdateAt,
                authorPath: `/authors/${post.author.slug}`,
                tags: post.tags.map((tag) => tag.name),
              }
            : undefined,
        noindex: preview !== undefined,
      }}
    >
      <article class="post">
        <header>
          <h1>{title}</h1>
          {isPost ? (
            <p class="byline">
              By <a href={`/authors/${post.author.slug}`}>{post.author.name}</a>
              {post.publishedAt !== null ? (
                <>
                  {' · '}
                  <Time at={post.publishedAt} />
                </>
              ) : null}
              {post.significantUpdateAt !== null ? (
                <>
                  {' · '}
                  <span class="updated">
                    Updated <Time at={post.significantUpdateAt} />
                  </span>
                </>
              ) : null}
            </p>
          ) : null}
        </header>
        <div class="post-content">{trustedHtml(absoluteImageUrls(post.html, publicUrl))}</div>
        {post.tags.length > 0 ? (
          <footer>
            <h2 class="visually-hidden">Tags</h2>
            <ul class="tags">
              {post.tags.map((tag) => (
                <li>
                  <a href={`/tags/${tag.slug}`} rel="tag">
                    {tag.name}
                  </a>
                </li>
              ))}
            </ul>
          </footer>
        ) : null}
      </article>
      {adjacent && (adjacent.previous || adjacent.next) ? (
        <nav class="adjacent" aria-label="More posts">
          {adjacent.next ? (
            <a href={postPath(adjacent.next)} class="newer">
              <span class="muted">Newer</span>
              {titleOf(adjacent.next)}
            </a>
          ) : null}
          {adjacent.previous ? (
            <a href={postPath(adjacent.previous)} class="older">
              <span class="muted">Older</span>
              {titleOf(adjacent.previous)}
            </a>
          ) : null}
        </nav>
      ) : null}
    </PublicFrame>
  );
}
