import { postPath, type SearchResults } from '../../src/db/posts.js';
import type { Chrome } from '../layout.js';
import { plural } from './archive.js';
import { PublicFrame } from './frame.js';
import { Byline, Highlighted, Pager, titleOf, type Pagination } from './parts.js';

export interface SearchPageProps {
  chrome: Chrome;
  publicUrl: string;
  query: string;
  /** Null when nothing was asked yet. */
  results: SearchResults | null;
  pagination: Pagination;
}

/** Search without script: a GET form, results as a plain page. */
export function SearchPage({ chrome, publicUrl, query, results, pagination }: SearchPageProps) {
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{
        title: query ? `Search: ${query}` : 'Search',
        description: `Search the posts of ${chrome.siteTitle}.`,
        path: '/search',
        // Result pages are endless and thin: links are followed, but none is indexed.
        noindex: query !== '',
      }}
    >
      <h1>Search</h1>
      <form method="get" action="/search" role="search" class="search-form">
        <label for="q" class="visually-hidden">
          Search posts
        </label>
        <input type="search" id="q" name="q" value={query} maxlength={200} placeholder="Words to find" />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {results ? (
        <>
          <p class="muted" role="status">
            {results.total === 0
              ? `Nothing found for “${query}”. Try fewer or other words.`
              : results.more
                ? `More than ${results.total.toLocaleString('en')} results for “${query}”. Add a word to narrow them down.`
                : `${plural(results.total, 'result')} for “${query}”.`}
          </p>
          <ol class="results">
            {results.hits.map((hit) => (
              <li>
                <h2>
                  <a href={postPath(hit.post)}>{titleOf(hit.post)}</a>
                </h2>
                {hit.post.type === 'post' ? <Byline post={hit.post} /> : null}
                <p>
                  <Highlighted snippet={hit.snippet} />
                </p>
              </li>
            ))}
          </ol>
          <Pager {...pagination} />
        </>
      ) : null}
    </PublicFrame>
  );
}
