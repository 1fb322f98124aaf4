// Ghost JSON exports (Ghost 1 to 5: Settings → Labs → Export your content) become Quire posts
// and pages, with their status, dates, slugs, bylines and tags; their old addresses answer 301.
// Everything happens in one transaction: a file that fails half-way changes nothing.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { addRedirect, createAuthorWithoutAccount, findAuthorBySlugOrName, findImportedPost, insertImportedPost, recordImportedPost } from '../db/imports.js';
import { postPath, setPostTags, uniqueSlug, type Author, type PostStatus } from '../db/posts.js';
import { slugify } from '../lib/slug.js';
import { readPostContent } from '../routes/write.js';

export const SOURCE = 'ghost';
/** Larger than any text-only export of a blog with thousands of posts; bigger files are refused unread. */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

/**
 * First path segments Quire's own pages use. A Ghost page with one of these slugs (an "about"
 * page is common) would be hidden behind Quire's page, so it gets "-page" added.
 * test/import/ghost.test.ts checks this list against the app's routes.
 */
export const RESERVED_PAGE_SLUGS = new Set([
  'about', 'account', 'api', 'archive', 'authors', 'feed', 'healthz', 'invite', 'login', 'logout', 'media', 'members',
  'posts', 'preview', 'recover', 'search', 'settings', 'static', 'tags', 'welcome', 'write',
]);

export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportReport {
  posts: number;
  pages: number;
  published: number;
  drafts: number;
  scheduled: number;
  authorsCreated: string[];
  authorsMatched: string[];
  tags: number;
  redirects: number;
  alreadyImported: number;
  skipped: { title: string; reason: string }[];
  /** Things an owner should know: images left out, posts whose address changed… */
  notes: string[];
  ms: number;
}

export interface ImportOptions {
  publicOrigin: string;
  now: number;
  /** The byline for posts whose Ghost author is unknown (the importing owner's, on the web). */
  fallbackAuthor?: Author;
}

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

/** Ghost writes ISO strings; exports from Ghost 0.x–1.x have "2014-05-01 10:00:00" (UTC) or milliseconds. */
function parseDate(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value.trim()) ? `${value.trim().replace(' ', 'T')}Z` : value.trim();
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Ghost's plain-text version as paragraphs, for posts whose HTML is empty. */
export function plaintextToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

const countImages = (html: string) => (html.match(/<img\b/gi) ?? []).length;

/**
 * Ghost's HTML made ready for the sanitizer: its "__GHOST_URL__" placeholder becomes a
 * root-relative link (which the redirects then resolve), and a code block's language moves from
 * `<code class="language-x">` to where Quire keeps it.
 */
function prepareHtml(html: string): string {
  return html
    .replace(/__GHOST_URL__/g, '')
    .replace(/<pre>(\s*)<code class="language-([a-z0-9+#-]{1,32})"/gi, '<pre data-language="$2">$1<code');
}

/** The `data` object of an export, wherever this Ghost version put it. */
function exportData(json: unknown): Row {
  const candidates = [isRow(json) && Array.isArray(json.db) ? json.db[0] : undefined, json];
  for (const candidate of candidates) {
    if (isRow(candidate) && isRow(candidate.data) && Array.isArray(candidate.data.posts)) return candidate.data;
  }
  throw new ImportError(
    'This JSON file is not a Ghost export: it has no list of posts (db[0].data.posts). In Ghost, use Settings → Labs → Export your content, and import that file. Nothing was imported.',
  );
}

function rows(data: Row, key: string): Row[] {
  const value = data[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ImportError(`This Ghost export is damaged: "${key}" is not a list. Nothing was imported.`);
  return value.filter(isRow);
}

/** Parses and checks a Ghost export; throws ImportError, written for the person importing. */
export function parseGhostExport(input: string | Uint8Array): Row {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > MAX_IMPORT_BYTES) {
    throw new ImportError(`The file is ${(size / 1024 / 1024).toFixed(0)} MB; Quire imports Ghost exports of up to 50 MB. Nothing was imported.`);
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImportError(`This is not a Ghost export: the file is not valid JSON (${(error as Error).message}). Nothing was imported.`);
  }
  return exportData(json);
}

/** Imports a Ghost export into `db`. Returns what was imported and skipped; throws ImportError for a bad file. */
export function importGhost(db: Db, input: string | Uint8Array, options: ImportOptions): ImportReport {
  const started = performance.now();
  const data = parseGhostExport(input);
  const posts = rows(data, 'posts');
  const users = new Map(rows(data, 'users').map((u) => [str(u.id), u]));
  const tags = new Map(rows(data, 'tags').map((t) => [str(t.id), t]));
  const authorOf = new Map<string, string>();
  for (const link of rows(data, 'posts_authors').sort((a, b) => Number(a.sort_order ?? 0) - Number(b.sort_order ?? 0))) {
    if (!authorOf.has(str(link.post_id))) authorOf.set(str(link.post_id), str(link.author_id));
  }
  const tagsOf = new Map<string, string[]>();
  for (const link of rows(data, 'posts_tags').sort((a, b) => Number(a.sort_order ?? 0) - Number(b.sort_order ?? 0))) {
    const tag = tags.get(str(link.tag_id));
    // Internal tags ("#newsletter") are Ghost's own bookkeeping, never shown to readers.
    if (!tag || str(tag.visibility) === 'internal' || str(tag.name).startsWith('#')) continue;
    const list = tagsOf.get(str(link.post_id)) ?? [];
    list.push(str(tag.name));
    tagsOf.set(str(link.post_id), list);
  }

  const report: ImportReport = {
    posts: 0,
    pages: 0,
    published: 0,
    drafts: 0,
    scheduled: 0,
    authorsCreated: [],
    authorsMatched: [],
    tags: 0,
    redirects: 0,
    alreadyImported: 0,
    skipped: [],
    notes: [],
    ms: 0,
  };
  let imagesDropped = 0;
  let featureImages = 0;
  let sentOnly = 0;
  const renamed: string[] = [];
  const tagNames = new Set<string>();

  db.transaction(() => {
    const authors = new Map<string, Author>();
    const bylineFor = (ghostUserId: string): Author => {
      const cached = authors.get(ghostUserId);
      if (cached) return cached;
      const user = users.get(ghostUserId);
      const name = str(user?.name).replace(/\s+/g, ' ').trim().slice(0, 100);
      let author: Author;
      if (!name) {
        author = options.fallbackAuthor ?? findAuthorBySlugOrName(db, 'ghost-import', 'Ghost import') ?? createAuthorWithoutAccount(db, 'Ghost import', 'ghost-import');
      } else {
        const slug = slugify(str(user?.slug)) || slugify(name) || 'author';
        const found = findAuthorBySlugOrName(db, slug, name);
        author = found ?? createAuthorWithoutAccount(db, name, slug);
        (found ? report.authorsMatched : report.authorsCreated).push(found ? `${name} → ${found.name}` : name);
      }
      authors.set(ghostUserId, author);
      return author;
    };

    for (const ghost of posts) {
      const title = str(ghost.title).replace(/\s+/g, ' ').trim();
      const label = title || str(ghost.slug) || '(untitled)';
      const sourceId = str(ghost.uuid) || str(ghost.id);
      if (!sourceId) {
        report.skipped.push({ title: label, reason: 'it has no id or uuid' });
        continue;
      }
      if (findImportedPost(db, SOURCE, sourceId) !== null) {
        report.alreadyImported += 1;
        continue;
      }
      const type = str(ghost.type) === 'page' || ghost.page === true || ghost.page === 1 ? 'page' : str(ghost.type) === 'post' || !ghost.type ? 'post' : null;
      if (!type) {
        report.skipped.push({ title: label, reason: `Quire has no equivalent of Ghost's "${str(ghost.type)}" type` });
        continue;
      }
      const createdAt = parseDate(ghost.created_at);
      if (createdAt === null) {
        report.skipped.push({ title: label, reason: 'its creation date is missing or unreadable' });
        continue;
      }
      const updatedAt = parseDate(ghost.updated_at) ?? createdAt;
      let status: PostStatus;
      let publishedAt = parseDate(ghost.published_at);
      switch (str(ghost.status)) {
        case 'published':
          status = 'published';
          publishedAt ??= createdAt;
          break;
        case 'scheduled':
          status = publishedAt === null ? 'draft' : 'scheduled';
          break;
        case 'sent':
          // Sent as a newsletter only, never on the site: it stays off the blog here too.
          status = 'draft';
          publishedAt = null;
          sentOnly += 1;
          break;
        default:
          status = 'draft';
          publishedAt = null;
      }

      const sourceHtml = prepareHtml(str(ghost.html));
      let content = readPostContent(
        { title, slug: str(ghost.slug), excerpt: str(ghost.custom_excerpt), html: sourceHtml, tags: tagsOf.get(str(ghost.id)) ?? [] },
        options.publicOrigin,
      );
      if (content.text === '' && str(ghost.plaintext).trim() !== '') {
        content = readPostContent({ ...content, slug: str(ghost.slug), html: plaintextToHtml(str(ghost.plaintext)) }, options.publicOrigin);
      }
      imagesDropped += Math.max(0, countImages(sourceHtml) - countImages(content.html));
      if (str(ghost.feature_image)) featureImages += 1;

      const wanted = content.slug || slugify(title) || 'untitled';
      const slug = uniqueSlug(db, 'posts', type === 'page' && RESERVED_PAGE_SLUGS.has(wanted) ? `${wanted}-page` : wanted);
      const authorId = authorOf.get(str(ghost.id)) ?? str(ghost.author_id ?? ghost.created_by);
      const author = bylineFor(authorId);
      const postId = insertImportedPost(db, {
        uid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(str(ghost.uuid)) ? str(ghost.uuid).toLowerCase() : randomUUID(),
        type,
        authorId: author.id,
        title: content.title,
        slug,
        excerpt: content.excerpt,
        html: content.html,
        text: content.text,
        wordCount: content.wordCount,
        status,
        createdAt,
        updatedAt,
        publishedAt,
      });
      setPostTags(db, postId, content.tags);
      for (const name of content.tags) tagNames.add(name.toLowerCase());
      recordImportedPost(db, SOURCE, sourceId, postId, options.now);

      const newPath = postPath({ type, slug });
      const ghostSlug = str(ghost.slug).trim();
      if (status === 'published' && ghostSlug && !/[/?#\s]/.test(ghostSlug)) {
        // Ghost served posts and pages at /<slug>/; links without the slash work there too.
        for (const old of [`/${ghostSlug}`, `/${ghostSlug}/`]) {
          if (old !== newPath && addRedirect(db, old, postId)) report.redirects += 1;
        }
      }
      if (ghostSlug && slug !== ghostSlug) renamed.push(`“${label}”: ${newPath} (was /${ghostSlug}/)`);

      if (type === 'page') report.pages += 1;
      else report.posts += 1;
      if (status === 'published') report.published += 1;
      else if (status === 'scheduled') report.scheduled += 1;
      else report.drafts += 1;
    }
  }).immediate();

  report.tags = tagNames.size;
  if (imagesDropped > 0) {
    report.notes.push(
      `${imagesDropped} image${imagesDropped === 1 ? ' was' : 's were'} left out: Quire shows only images uploaded to it, and a Ghost export does not contain the image files. Add them again in the editor.`,
    );
  }
  if (featureImages > 0) report.notes.push(`${featureImages} feature image${featureImages === 1 ? ' was' : 's were'} left out (Quire posts have none).`);
  if (sentOnly > 0) report.notes.push(`${sentOnly} newsletter-only post${sentOnly === 1 ? ' was imported as a draft' : 's were imported as drafts'}, since they were never on the site.`);
  if (renamed.length > 0) {
    report.notes.push(`${renamed.length} address${renamed.length === 1 ? '' : 'es'} had to change, because the slug was taken: ${renamed.slice(0, 10).join('; ')}${renamed.length > 10 ? '; …' : ''}`);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** The report as lines for a terminal or a page. */
export function describeImport(report: ImportReport): string[] {
  const lines = [
    `Imported ${report.posts} post${report.posts === 1 ? '' : 's'} and ${report.pages} page${report.pages === 1 ? '' : 's'} ` +
      `(${report.published} published, ${report.scheduled} scheduled, ${report.drafts} draft${report.drafts === 1 ? '' : 's'}) in ${(report.ms / 1000).toFixed(1)} s.`,
  ];
  if (report.authorsCreated.length) lines.push(`New bylines (no account yet): ${report.authorsCreated.join(', ')}.`);
  if (report.authorsMatched.length) lines.push(`Matched to existing bylines: ${report.authorsMatched.join(', ')}.`);
  if (report.tags) lines.push(`${report.tags} tag${report.tags === 1 ? '' : 's'}; ${report.redirects} old Ghost address${report.redirects === 1 ? '' : 'es'} now redirect.`);
  if (report.alreadyImported) lines.push(`${report.alreadyImported} already imported before: left as they are.`);
  for (const skip of report.skipped) lines.push(`Skipped “${skip.title}”: ${skip.reason}.`);
  lines.push(...report.notes);
  return lines;
}
