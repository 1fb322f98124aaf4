import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import {
  adjacentPosts,
  countPublishedPosts,
  findRedirect,
  getAuthorBySlug,
  getPublishedBySlug,
  getTagBySlug,
  listPublicAuthors,
  listPublicTags,
  listPublishedHeadlines,
  listPublishedPosts,
  postPath,
  publishedYears,
  searchPublishedPosts,
  type PublicFilter,
} from '../db/posts.js';
import { getSettings } from '../db/settings.js';
import { chrome, renderPage } from '../lib/http.js';
import { cachePublic, PAGE_CACHE_CONTROL } from '../lib/page-cache.js';
import { AboutPage } from '../../views/public/about.js';
import { ArchivePage, YearPage } from '../../views/public/archive.js';
import { HomePage } from '../../views/public/home.js';
import { ListingPage } from '../../views/public/listing.js';
import { PostPage } from '../../views/public/post.js';
import { SearchPage } from '../../views/public/search.js';

const PER_PAGE = 10;
const RESULTS_PER_PAGE = 20;
const MAX_QUERY = 200;

/**
 * What readers see: no script, nothing that depends on who is asking (so every page can be
 * cached here and by any proxy), and old addresses that keep working. Mounted last, because
 * `/:slug` (pages) would otherwise answer for other areas' addresses.
 */
export function publicRoutes() {
  const app = new Hono<AppEnv>();
  const cached = cachePublic(PAGE_CACHE_CONTROL);

  app.get('/', cached, (c) => {
    const { db, config } = c.var.deps;
    const page = pageNumber(c);
    if (page === null) return c.notFound();
    const total = countPublishedPosts(db, {});
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    if (page > pages) return c.notFound();
    return renderPage(
      c,
      HomePage({
        chrome: chrome(c, { public: true }),
        publicUrl: config.publicUrl,
        description: getSettings(db).description,
        posts: listPublishedPosts(db, {}, PER_PAGE, (page - 1) * PER_PAGE),
        pagination: { page, pages, href: pageHref('/') },
      }),
    );
  });

  app.get('/posts/:slug', cached, (c) => {
    const { db, config } = c.var.deps;
    const post = getPublishedBySlug(db, 'post', c.req.param('slug'));
    if (!post) return redirectOrNotFound(c);
    return renderPage(c, PostPage({ chrome: chrome(c, { public: true }), publicUrl: config.publicUrl, post, adjacent: adjacentPosts(db, post) }));
  });

  app.get('/archive', cached, (c) => {
    const { db, config } = c.var.deps;
    return renderPage(
      c,
      ArchivePage({
        chrome: chrome(c, { public: true }),
        publicUrl: config.publicUrl,
        years: publishedYears(db),
        authors: listPublicAuthors(db),
        tags: listPublicTags(db),
      }),
    );
  });

  app.get('/archive/:year{[0-9]{4}}', cached, (c) => {
    const { db, config } = c.var.deps;
    const year = Number(c.req.param('year'));
    if (year < 1970) return c.notFound();
    const posts = listPublishedHeadlines(db, { from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1) }, 100_000);
    if (posts.length === 0) return c.notFound();
    return renderPage(c, YearPage({ chrome: chrome(c, { public: true }), publicUrl: config.publicUrl, year, posts }));
  });

  app.get('/authors/:slug', cached, (c) => {
    const author = getAuthorBySlug(c.var.deps.db, c.req.param('slug'));
    // A writer who has published nothing has no public page: their name stays private.
    if (!author) return c.notFound();
    return listing(c, 'author', author.name, `/authors/${author.slug}`, { authorId: author.id });
  });

  app.get('/tags/:slug', cached, (c) => {
    const tag = getTagBySlug(c.var.deps.db, c.req.param('slug'));
    if (!tag) return c.notFound();
    return listing(c, 'tag', tag.name, `/tags/${tag.slug}`, { tagId: tag.id });
  });

  app.get('/search', cached, (c) => {
    const { db, config } = c.var.deps;
    const page = pageNumber(c);
    if (page === null) return c.notFound();
    // Control characters have no business in a query, and a bounded length bounds the work.
    // eslint-disable-next-line no-control-regex
    const query = (c.req.query('q') ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, MAX_QUERY);
    const results = query ? searchPublishedPosts(db, query, RESULTS_PER_PAGE, (page - 1) * RESULTS_PER_PAGE) : null;
    const pages = Math.max(1, Math.ceil((results?.total ?? 0) / RESULTS_PER_PAGE));
    if (page > pages) return c.notFound();
    const base = `/search?q=${encodeURIComponent(query)}`;
    return renderPage(
      c,
      SearchPage({
        chrome: chrome(c, { public: true }),
        publicUrl: config.publicUrl,
        query,
        results,
        pagination: { page, pages, href: (n) => (n === 1 ? base : `${base}&page=${n}`) },
      }),
    );
  });

  app.get('/about', cached, (c) => {
    const { db, config } = c.var.deps;
    const settings = getSettings(db);
    return renderPage(
      c,
      AboutPage({
        chrome: chrome(c, { public: true }),
        publicUrl: config.publicUrl,
        description: settings.description,
        about: settings.about,
        authors: listPublicAuthors(db),
      }),
    );
  });

  // Pages (type 'page', e.g. imported from Ghost) live at the root.
  app.get('/:slug', cached, (c) => {
    const { db, config } = c.var.deps;
    const post = getPublishedBySlug(db, 'page', c.req.param('slug'));
    if (!post) return redirectOrNotFound(c);
    return renderPage(c, PostPage({ chrome: chrome(c, { public: true }), publicUrl: config.publicUrl, post }));
  });

  // Any other address may be where a post used to live.
  app.get('*', (c) => redirectOrNotFound(c));

  return app;
}

function listing(c: Context<AppEnv>, kind: 'author' | 'tag', name: string, base: string, filter: PublicFilter) {
  const { db, config } = c.var.deps;
  const page = pageNumber(c);
  if (page === null) return c.notFound();
  const total = countPublishedPosts(db, filter);
  const pages = Math.ceil(total / PER_PAGE);
  if (total === 0 || page > pages) return c.notFound();
  return renderPage(
    c,
    ListingPage({
      chrome: chrome(c, { public: true }),
      publicUrl: config.publicUrl,
      kind,
      name,
      base,
      total,
      posts: listPublishedPosts(db, filter, PER_PAGE, (page - 1) * PER_PAGE),
      pagination: { page, pages, href: pageHref(base) },
    }),
  );
}

/** ?page=N as a number from 1; null for anything else ("0", "-1", "2.5", "abc"), which is a 404. */
function pageNumber(c: Context<AppEnv>): number | null {
  const raw = c.req.query('page');
  if (raw === undefined) return 1;
  return /^[1-9][0-9]{0,5}$/.test(raw) ? Number(raw) : null;
}

function pageHref(base: string) {
  return (page: number) => (page === 1 ? base : `${base}?page=${page}`);
}

/** A published post's old address answers 301 with its current one; anything else is a 404. */
function redirectOrNotFound(c: Context<AppEnv>) {
  const post = findRedirect(c.var.deps.db, c.req.path);
  if (!post) return c.notFound();
  // Short-lived: browsers otherwise keep a 301 forever, and a slug changed back would then loop.
  c.header('Cache-Control', 'public, max-age=300');
  // The URL parser percent-encodes a slug in any script, as a Location header must be.
  return c.redirect(new URL(postPath(post), c.var.deps.config.publicUrl).pathname, 301);
}
