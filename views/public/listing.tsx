import type { Post } from '../../src/db/posts.js';
import type { Chrome } from '../layout.js';
import { plural } from './archive.js';
import { FEED_FORMATS, PublicFrame } from './frame.js';
import { Pager, PostList, type Pagination } from './parts.js';

export interface ListingPageProps {
  chrome: Chrome;
  publicUrl: string;
  kind: 'author' | 'tag';
  name: string;
  /** "/authors/ada" or "/tags/travel": the page, and the base of its feeds. */
  base: string;
  total: number;
  posts: Post[];
  pagination: Pagination;
}

/** The posts of one writer, or under one tag, with their own feeds. */
export function ListingPage({ chrome, publicUrl, kind, name, base, total, posts, pagination }: ListingPageProps) {
  const heading = kind === 'author' ? `Posts by ${name}` : `Posts tagged “${name}”`;
  const feedTitle = kind === 'author' ? `${chrome.siteTitle}: posts by ${name}` : `${chrome.siteTitle}: tagged ${name}`;
  const pageSuffix = pagination.page > 1 ? `, page ${pagination.page}` : '';
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{
        title: heading + pageSuffix,
        description: `${plural(total, 'post')} ${kind === 'author' ? `by ${name}` : `tagged ${name}`} on ${chrome.siteTitle}.`,
        path: pagination.href(pagination.page),
        feeds: [{ title: feedTitle, base }],
      }}
    >
      <h1>{heading}</h1>
      <p class="muted">
        {plural(total, 'post')}. Follow {kind === 'author' ? 'this writer' : 'this tag'}:{' '}
        {FEED_FORMATS.map((format, i) => (
          <>
            {i > 0 ? ' · ' : null}
            <a href={`${base}/${format.file}`} type={format.type}>
              {format.label}
            </a>
          </>
        ))}
      </p>
      <PostList posts={posts} linkAuthor={kind !== 'author'} empty="No posts here yet." />
      <Pager {...pagination} />
    </PublicFrame>
  );
}
