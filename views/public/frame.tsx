import type { Child } from 'hono/jsx';
import { Layout, type Chrome } from '../layout.js';

/** A feed a page offers for autodiscovery (its own first, then the whole blog's). */
export interface FeedLink {
  title: string;
  /** Path of the feed without its format, e.g. "" for the blog or "/authors/ada". */
  base: string;
}

export interface PublicMeta {
  /** The page's own title; the blog's name is added by the layout. */
  title: string;
  description: string;
  /** Path and query of this page's canonical address, e.g. "/posts/hello" or "/?page=2". */
  path: string;
  type?: 'website' | 'article';
  article?: { publishedAt: number; modifiedAt?: number | null; authorPath: string; tags: string[] };
  /** Feeds of this author or tag, offered before the blog's own. */
  feeds?: FeedLink[];
  /** Search results and previews stay out of search engines. */
  noindex?: boolean;
}

export interface PublicFrameProps {
  chrome: Chrome;
  /** PUBLIC_URL: canonical, OpenGraph and feed links are absolute on it. */
  publicUrl: string;
  meta: PublicMeta;
  children?: Child;
}

export const FEED_FORMATS = [
  { file: 'feed.xml', type: 'application/rss+xml', label: 'RSS' },
  { file: 'atom.xml', type: 'application/atom+xml', label: 'Atom' },
  { file: 'feed.json', type: 'application/feed+json', label: 'JSON Feed' },
] as const;

export function absolute(publicUrl: string, path: string): string {
  return new URL(path, publicUrl).href;
}

/**
 * The frame of every page readers see: no script, no request to anyone but this blog, and in
 * the head what search engines, link previews and feed readers look for.
 */
export function PublicFrame({ chrome, publicUrl, meta, children }: PublicFrameProps) {
  const url = absolute(publicUrl, meta.path);
  // An owner may leave the blog's description blank; search engines and link previews still get a sentence.
  const description = meta.description.trim() || `${meta.title} on ${chrome.siteTitle}.`;
  const feeds: FeedLink[] = [...(meta.feeds ?? []), { title: chrome.siteTitle, base: '' }];
  const head = (
    <>
      <meta property="og:site_name" content={chrome.siteTitle} />
      <meta property="og:type" content={meta.type ?? 'website'} />
      <meta property="og:title" content={meta.title} />
      <meta property="og:description" content={description} />
      <meta property="og:url" content={url} />
      <meta property="og:locale" content={chrome.language.replace('-', '_')} />
      {meta.article ? (
        <>
          <meta property="article:published_time" content={new Date(meta.article.publishedAt).toISOString()} />
          {meta.article.modifiedAt ? <meta property="article:modified_time" content={new Date(meta.article.modifiedAt).toISOString()} /> : null}
          <meta property="article:author" content={absolute(publicUrl, meta.article.authorPath)} />
          {meta.article.tags.map((tag) => (
            <meta property="article:tag" content={tag} />
          ))}
        </>
      ) : null}
      <meta name="twitter:card" content="summary" />
      <meta name="twitter:title" content={meta.title} />
      <meta name="twitter:description" content={description} />
      {feeds.flatMap((feed) =>
        FEED_FORMATS.map((format) => (
          <link rel="alternate" type={format.type} title={`${feed.title} (${format.label})`} href={absolute(publicUrl, `${feed.base}/${format.file}`)} />
        )),
      )}
    </>
  );
  return (
    <Layout
      chrome={chrome}
      title={meta.title}
      meta={{ description, canonical: url, extra: head, noindex: meta.noindex }}
      nav={<SiteNav />}
      footer={<SiteFooter />}
    >
      {children}
    </Layout>
  );
}

function SiteNav() {
  return (
    <nav class="site-nav" aria-label="Site">
      <a href="/archive">Archive</a>
      <a href="/search">Search</a>
      <a href="/about">About</a>
    </nav>
  );
}

function SiteFooter() {
  return (
    <footer class="site-footer">
      <nav aria-label="Footer">
        <ul class="footer-links">
          <li>
            <a href="/about">About</a>
          </li>
          <li>
            <a href="/archive">Archive</a>
          </li>
          <li>
            <a href="/search">Search</a>
          </li>
          <li>
            {/* Public pages are the same for everyone (cached), so a writer's way back in is always here. */}
            <a href="/write">Writers’ sign-in</a>
          </li>
        </ul>
        <p>
          Subscribe:{' '}
          {FEED_FORMATS.map((format, i) => (
            <>
              {i > 0 ? ' · ' : null}
              <a href={`/${format.file}`} type={format.type}>
                {format.label}
              </a>
            </>
          ))}
        </p>
      </nav>
    </footer>
  );
}
