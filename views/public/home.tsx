import type { Post } from '../../src/db/posts.js';
import type { Chrome } from '../layout.js';
import { PublicFrame } from './frame.js';
import { Pager, PostList, type Pagination } from './parts.js';

export interface HomePageProps {
  chrome: Chrome;
  publicUrl: string;
  description: string;
  posts: Post[];
  pagination: Pagination;
}

export function HomePage({ chrome, publicUrl, description, posts, pagination }: HomePageProps) {
  const first = pagination.page === 1;
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{
        title: first ? chrome.siteTitle : `Older posts, page ${pagination.page}`,
        description: description || `The latest posts on ${chrome.siteTitle}.`,
        path: pagination.href(pagination.page),
      }}
    >
      {first ? (
        <header class="intro">
          <h1>{chrome.siteTitle}</h1>
          {description ? <p class="lead">{description}</p> : null}
        </header>
      ) : (
        <h1>Older posts</h1>
      )}
      <PostList posts={posts} empty="Nothing published yet. Come back soon." />
      <Pager {...pagination} />
    </PublicFrame>
  );
}
