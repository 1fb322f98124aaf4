/**
 * For machines: RSS 2.0, Atom 1.0 and JSON Feed 1.1 (the blog's, and each writer's and tag's),
 * the sitemap and robots.txt. All cached and revalidated like pages, so polling is cheap.
 */
import { Hono, type Context } from 'hono';
import { Feed, type Item } from 'feed';
import { sanitizeHtml, type Attributes } from '../lib/sanitize-html.js';
import type { AppEnv } from '../context.js';
import {
  getAuthorBySlug,
  hasPublishedPosts,
  getTagBySlug,
  listPublicIndexes,
  listPublicPaths,
  listPublishedPosts,
  postPath,
  publicState,
  type Post,
  type PublicFilter,
} from '../db/posts.js';
import { getSettings, type BlogSettings } from '../db/settings.js';
import { mapSrcset } from '../lib/media-store.js';
import { excerptOf } from '../lib/excerpt.js';
import { cachePublic, FEED_CACHE_CONTROL } from '../lib/page-cache.js';

const FEED_SIZE = 20;

type Format = 'rss' | 'atom' | 'json';

const FORMATS: { file: string; format: Format; contentType: string }[] = [
  { file: 'feed.xml', format: 'rss', contentType: 'application/rss+xml; charset=utf-8' },
  { file: 'atom.xml', format: 'atom', contentType: 'application/atom+xml; charset=utf-8' },
  { file: 'feed.json', format: 'json', contentType: 'application/feed+json; charset=utf-8' },
];

/** What one feed covers: the whole blog, one writer or one tag. */
interface FeedScope {
  title: string;
  description: string;
  /** The page this feed follows, e.g. "/" or "/authors/ada". */
  pagePath: string;
  /** Feeds of this scope live at `${feedBase}/feed.xml` etc. */
  feedBase: string;
  filter: PublicFilter;
}

export function feedRoutes() {
  const app = new Hono<AppEnv>();
  const cached = cachePublic(FEED_CACHE_CONTROL);

  for (const { file, format, contentType } of FORMATS) {
    app.get(`/${file}`, cached, (c) => {
      const settings = getSettings(c.var.deps.db);
      // RSS requires a channel description: a blank one in the settings gets a sentence.
      const description = settings.description || `The latest posts on ${settings.title}.`;
      const scope = { title: settings.title, description, pagePath: '/', feedBase: '', filter: {} };
      return c.body(renderFeed(c, format, scope, settings), 200, { 'Content-Type': contentType });
    });

    app.get(`/authors/:slug/${file}`, cached, (c) => {
      const { db } = c.var.deps;
      const author = getAuthorBySlug(db, c.req.param('slug'));
      if (!author || !hasPublishedPosts(db, { authorId: author.id })) return c.notFound();
      const settings = getSettings(db);
      const base = `/authors/${author.slug}`;
      const scope = {
        title: `${settings.title}: posts by ${author.name}`,
        description: `Posts by ${author.name} on ${settings.title}.`,
        pagePath: base,
        feedBase: base,
        filter: { authorId: author.id },
      };
      return c.body(renderFeed(c, format, scope, settings), 200, { 'Content-Type': contentType });
    });

    app.get(`/tags/:slug/${file}`, cached, (c) => {
      const { db } = c.var.deps;
      const tag = getTagBySlug(db, c.req.param('slug'));
      if (!tag || !hasPublishedPosts(db, { tagId: tag.id })) return c.notFound();
      const settings = getSettings(db);
      const base = `/tags/${tag.slug}`;
      const scope = {
        title: `${settings.title}: tagged ${tag.name}`,
        description: `Posts tagged ${tag.name} on ${settings.title}.`,
        pagePath: base,
        feedBase: base,
        filter: { tagId: tag.id },
      };
      return c.body(renderFeed(c, format, scope, settings), 200, { 'Content-Type': contentType });
    });
  }

  app.get('/sitemap.xml', cached, (c) => c.body(renderSitemap(c), 200, { 'Content-Type': 'application/xml; charset=utf-8' }));

  app.get('/robots.txt', cached, (c) => c.body(renderRobots(c.var.deps.config.publicUrl), 200, { 'Content-Type': 'text/plain; charset=utf-8' }));

  return app;
}

// ── Feeds ────────────────────────────────────────────────────────────────────

function renderFeed(c: Context<AppEnv>, format: Format, scope: FeedScope, settings: BlogSettings): string {
  const { db, config } = c.var.deps;
  const at = (path: string) => new URL(path, config.publicUrl).href;
  const posts = listPublishedPosts(db, scope.filter, FEED_SIZE);
  // The feed's date is its newest item's, so an unchanged feed renders to the same bytes (and ETag).
  const updated = posts.length > 0 ? Math.max(...posts.map(updatedAt)) : publicState(db).changedAt;
  const xml = format !== 'json';
  const text = (value: string) => (xml ? xmlChars(value) : value);

  const feed = new Feed({
    // Atom ids must never change: the page's address is as stable as the blog's address.
    id: at(scope.pagePath),
    title: text(scope.title),
    description: text(scope.description),
    link: at(scope.pagePath),
    language: settings.language,
    updated: new Date(updated),
    generator: 'Quire',
    feedLinks: { rss: at(`${scope.feedBase}/feed.xml`), atom: at(`${scope.feedBase}/atom.xml`), json: at(`${scope.feedBase}/feed.json`) },
  });

  for (const post of posts) {
    const title = post.title.trim() || 'Untitled';
    const excerpt = excerptOf(post);
    const content = absoluteUrls(post.html, config.publicUrl);
    const author = { name: text(post.author.name), link: at(`/authors/${post.author.slug}`) };
    const item: Item = {
      // A post's uid is fixed at creation: a new slug or title never makes it a "new" item.
      id: `urn:uuid:${post.uid}`,
      link: at(postPath(post)),
      // A typo fix leaves `updated` alone; only an edit the writer marks as significant moves it.
      date: new Date(updatedAt(post)),
      published: new Date(post.publishedAt ?? updatedAt(post)),
      title: '',
    };
    if (format === 'atom') {
      // Atom's title and summary are type="html": plain text must be escaped to stay plain text.
      item.title = escapeHtml(xmlChars(title));
      item.description = escapeHtml(xmlChars(excerpt));
      item.content = cdataSafe(xmlChars(content));
      item.author = [author];
      // Attribute values pass through unescaped except for & and ", so a "<" would break the XML.
      item.category = post.tags.map((tag) => (tag.name.includes('<') ? { term: tag.slug } : { term: tag.slug, name: xmlChars(tag.name) }));
    } else if (format === 'rss') {
      item.title = cdataSafe(xmlChars(title));
      item.description = escapeHtml(xmlChars(excerpt));
      item.content = cdataSafe(xmlChars(content));
      // RSS's <author> wants an e-mail address; a name belongs in dc:creator.
      item.extensions = [{ name: 'dc:creator', objects: { _text: author.name } }];
      item.category = post.tags.map((tag) => ({ name: xmlChars(tag.name), domain: at(`/tags/${tag.slug}`) }));
    } else {
      item.title = title;
      item.description = excerpt;
      item.content = content;
      item.author = [author];
      item.category = post.tags.map((tag) => ({ name: tag.name }));
    }
    feed.addItem(item);
  }

  if (format === 'atom') return feed.atom1();
  if (format === 'rss') return withDublinCore(feed.rss2());
  return jsonFeed11(feed.json1(), settings.language);
}

function updatedAt(post: Post): number {
  return post.significantUpdateAt ?? post.publishedAt ?? post.updatedAt;
}

/** The feed package writes dc:creator but declares its namespace only when some item has content. */
function withDublinCore(rss: string): string {
  return rss.includes('xmlns:dc=') ? rss : rss.replace('<rss version="2.0"', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"');
}

/** The feed package writes JSON Feed 1.0; 1.1 adds `authors` and `language` (1.0 readers still see `author`). */
function jsonFeed11(json: string, language: string): string {
  const feed = JSON.parse(json) as { version: string; language?: string; items: { author?: unknown; authors?: unknown[] }[] };
  feed.version = 'https://jsonfeed.org/version/1.1';
  feed.language = language;
  for (const item of feed.items) {
    if (item.author) item.authors = [item.author];
  }
  return JSON.stringify(feed);
}

/**
 * Post HTML with root-relative links and images ("/posts/x", "/media/y.jpg") made absolute:
 * a feed reader shows the post on another site, where a relative URL would point elsewhere.
 * The stored HTML is already sanitized; this pass (the same parser) changes URLs and nothing else.
 */
export function absoluteUrls(html: string, publicUrl: string): string {
  if (!html.includes('="/')) return html;
  const absolute = (value: string | undefined) =>
    value !== undefined && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? new URL(value, publicUrl).href : value;
  const rewrite = (attribs: Attributes, names: string[]) => {
    const out = { ...attribs };
    for (const name of names) {
      const value = absolute(out[name]);
      if (value !== undefined) out[name] = value;
    }
    if (out.srcset) out.srcset = mapSrcset(out.srcset, (url) => absolute(url) ?? url);
    return out;
  };
  return sanitizeHtml(html, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    parser: { decodeEntities: true },
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: rewrite(attribs, ['href']) }),
      img: (tagName, attribs) => ({ tagName, attribs: rewrite(attribs, ['src']) }),
    },
  });
}

// Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/FFFF):
// one of them in a title would make the whole feed unreadable, so they are dropped.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlChars(value: string): string {
  return value.replace(NOT_XML, '');
}

/**
 * The feed package puts titles and content in CDATA and splits only the first "]]>". In HTML
 * "]]&gt;" means the same, and sanitized HTML has no other ">" outside tags, so this is exact.
 */
function cdataSafe(value: string): string {
  return value.replaceAll(']]>', ']]&gt;');
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// ── Sitemap and robots.txt ──────────────────────────────────────────────────

function renderSitemap(c: Context<AppEnv>): string {
  const { db, config } = c.var.deps;
  const at = (path: string) => new URL(path, config.publicUrl).href;
  const posts = listPublicPaths(db);
  const indexes = listPublicIndexes(db);
  const newest = Math.max(publicState(db).changedAt, ...posts.map((p) => p.updatedAt));
  const entries: { path: string; updatedAt: number }[] = [
    { path: '/', updatedAt: newest },
    { path: '/archive', updatedAt: newest },
    { path: '/about', updatedAt: newest },
    ...indexes.years.map((y) => ({ path: `/archive/${y.year}`, updatedAt: y.updatedAt })),
    ...indexes.authors.map((a) => ({ path: `/authors/${a.slug}`, updatedAt: a.updatedAt })),
    ...indexes.tags.map((t) => ({ path: `/tags/${t.slug}`, updatedAt: t.updatedAt })),
    ...posts,
  ];
  const urls = entries.map(
    (entry) => `<url><loc>${escapeHtml(at(entry.path))}</loc><lastmod>${new Date(entry.updatedAt).toISOString()}</lastmod></url>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`;
}

// Writers' pages and sign-in are for people with a reason to be there. Each is listed exactly
// ("$" ends a rule, RFC 9309) and as a folder, so a post page called "/writing-tips" is not
// caught by the rule for "/write". Secret links (/preview/, /invite/, /recover/) are left out on
// purpose: a crawler must be allowed to fetch one to see its X-Robots-Tag: noindex, otherwise a
// leaked link could still be listed as a bare address.
const PRIVATE_PATHS = ['write', 'api', 'login', 'logout', 'welcome', 'account', 'members', 'settings'];

function renderRobots(publicUrl: string): string {
  const rules = PRIVATE_PATHS.flatMap((path) => [`Disallow: /${path}$`, `Disallow: /${path}/`]);
  return ['User-agent: *', ...rules, 'Allow: /', '', `Sitemap: ${new URL('/sitemap.xml', publicUrl).href}`, ''].join('\n');
}
