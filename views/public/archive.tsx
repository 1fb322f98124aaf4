import { postPath, type Author, type PostHeadline, type Tag } from '../../src/db/posts.js';
import { isoDate } from '../../src/lib/time.js';
import type { Chrome } from '../layout.js';
import { PublicFrame } from './frame.js';
import { titleOf } from './parts.js';

export interface ArchivePageProps {
  chrome: Chrome;
  publicUrl: string;
  years: { year: number; count: number }[];
  authors: Author[];
  tags: (Tag & { count: number })[];
}

/** The way into everything: years, writers and tags. */
export function ArchivePage({ chrome, publicUrl, years, authors, tags }: ArchivePageProps) {
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{ title: 'Archive', description: `Everything published on ${chrome.siteTitle}, by year, writer and tag.`, path: '/archive' }}
    >
      <h1>Archive</h1>
      {years.length === 0 ? <p class="muted">Nothing published yet.</p> : null}
      {years.length > 0 ? (
        <section aria-labelledby="by-year">
          <h2 id="by-year">By year</h2>
          <ul class="index-list">
            {years.map(({ year, count }) => (
              <li>
                <a href={`/archive/${year}`}>{year}</a> <span class="muted">{plural(count, 'post')}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {authors.length > 0 ? (
        <section aria-labelledby="by-writer">
          <h2 id="by-writer">By writer</h2>
          <ul class="index-list">
            {authors.map((author) => (
              <li>
                <a href={`/authors/${author.slug}`}>{author.name}</a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {tags.length > 0 ? (
        <section aria-labelledby="by-tag">
          <h2 id="by-tag">By tag</h2>
          <ul class="tags">
            {tags.map((tag) => (
              <li>
                <a href={`/tags/${tag.slug}`}>{tag.name}</a> <span class="muted">{tag.count}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </PublicFrame>
  );
}

export interface YearPageProps {
  chrome: Chrome;
  publicUrl: string;
  year: number;
  posts: PostHeadline[];
}

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' });
// Under its year and month, a post needs only its day: "21 Nov", the full date in datetime.
const DAY_MONTH = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** Every post of one year, newest first, under its month. */
export function YearPage({ chrome, publicUrl, year, posts }: YearPageProps) {
  const months: { name: string; posts: PostHeadline[] }[] = [];
  for (const post of posts) {
    const name = MONTH.format(post.publishedAt ?? 0);
    const last = months.at(-1);
    if (last?.name === name) last.posts.push(post);
    else months.push({ name, posts: [post] });
  }
  return (
    <PublicFrame
      chrome={chrome}
      publicUrl={publicUrl}
      meta={{ title: `Posts from ${year}`, description: `${plural(posts.length, 'post')} published on ${chrome.siteTitle} in ${year}.`, path: `/archive/${year}` }}
    >
      <p class="crumbs">
        <a href="/archive">Archive</a>
      </p>
      <h1>Posts from {year}</h1>
      {months.map((month) => (
        <section class="month">
          <h2>{month.name}</h2>
          <ul class="dated-list">
            {month.posts.map((post) => (
              <li>
                <time datetime={isoDate(post.publishedAt ?? 0)}>{DAY_MONTH.format(post.publishedAt ?? 0)}</time> <a href={postPath(post)}>{titleOf(post)}</a>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </PublicFrame>
  );
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
