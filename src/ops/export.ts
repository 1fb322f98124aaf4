// "Export everything": the whole blog as files a person can read and a program can import, in
// one .tar.gz. Every post and page as Markdown with YAML front matter (the layout Hugo, Jekyll and
// Eleventy read) plus the same post as an HTML page, blog.json with every fact about every post,
// and the pictures the posts show, under media/ (the Markdown and HTML point at them there, so
// the export reads offline). Accounts are not in it: `quire backup` is what moves a whole blog.
import path from 'node:path';
import type { Db } from '../db/database.js';
import { mediaNamesIn } from '../db/media.js';
import { listAllPostsForExport, type BlogExportPost } from '../db/blog-export.js';
import { postPath } from '../db/posts.js';
import { getSettings } from '../db/settings.js';
import type { ArchiveEntry, ArchiveSource } from '../lib/archive.js';
import { htmlToMarkdown } from '../lib/markdown.js';

export interface BlogExport {
  /** The folder everything is in, e.g. "quire-export-2026-11-23". */
  root: string;
  filename: string;
  /** Text files, then the pictures, read from disk when the archive is written. */
  entries: ArchiveSource[];
  posts: number;
  pages: number;
  trashed: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Root-relative links and pictures ("/media/….jpg", "/posts/other") made absolute, so the
 * Markdown and HTML still point at the blog when opened elsewhere. Post HTML is sanitized, so
 * attributes are always double-quoted.
 */
export function absoluteLinks(html: string, origin: string): string {
  return html
    .replace(/(<(?:a|img)\b[^>]*?\s(?:href|src)=")\/(?!\/)/g, `$1${origin}/`)
    .replace(/(\ssrcset=")([^"]*)"/g, (_m, start: string, list: string) =>
      `${start}${list.replace(/(^|,\s*)\/(?!\/)/g, `$1${origin}/`)}"`,
    );
}

/** A YAML value: strings as JSON strings (JSON is valid YAML), so no title can break the front matter. */
function yaml(value: string | number | boolean | null | string[]): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function frontMatter(fields: Record<string, string | number | boolean | null | string[] | undefined>): string {
  const lines = Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}: ${yaml(value as string | number | boolean | string[])}`);
  return `---\n${lines.join('\n')}\n---\n\n`;
}

function htmlDocument(post: BlogExportPost, body: string, language: string): string {
  const title = escapeHtml(post.title || 'Untitled');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(language)}">
<head>
<meta charset="utf-8">
<title>${title}</title>
</head>
<body>
<article>
<h1>${title}</h1>
<p>${escapeHtml(post.author.name)}${post.publishedAt !== null ? `, <time datetime="${iso(post.publishedAt)}">${iso(post.publishedAt)!.slice(0, 10)}</time>` : ''}</p>
${body}
</article>
</body>
</html>
`;
}

/** A file name that is safe everywhere and unique in the archive; slugs already are, but this does not rely on it. */
function fileBase(post: BlogExportPost, taken: Set<string>): string {
  const clean = post.slug.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'untitled';
  const base = taken.has(clean) ? `${clean}-${post.id}` : clean;
  taken.add(base);
  return base;
}

/** Pictures on this blog, pointed at the export's own media/ folder (one level up from posts/). */
function localPictures(html: string, publicUrl: string): string {
  return html.split(`${publicUrl}/media/`).join('../media/');
}

export function buildBlogExport(db: Db, publicUrl: string, now: number, mediaDir: string): BlogExport {
  const settings = getSettings(db);
  const root = `quire-export-${new Date(now).toISOString().slice(0, 10)}`;
  const entries: ArchiveEntry[] = [];
  const pictures = new Set<string>();
  const index: Record<string, unknown>[] = [];
  const taken = new Set<string>();
  const counts = { posts: 0, pages: 0, trashed: 0 };

  for (const post of listAllPostsForExport(db)) {
    // Trashed posts are kept apart so nobody publishes them by mistake from the export.
    const folder = post.deletedAt !== null ? 'trash' : post.type === 'page' ? 'pages' : 'posts';
    const base = `${folder}/${fileBase(post, taken)}`;
    const live = post.status === 'published' && post.deletedAt === null;
    const url = live ? publicUrl + postPath(post) : null;
    const html = absoluteLinks(post.html, publicUrl);
    const media = mediaNamesIn(post.html);
    for (const name of media) pictures.add(name);
    const local = localPictures(html, publicUrl);
    const markdown =
      frontMatter({
        title: post.title,
        slug: post.slug,
        type: post.type,
        status: post.status,
        draft: !live,
        date: iso(post.publishedAt ?? post.createdAt),
        created: iso(post.createdAt),
        updated: iso(post.updatedAt),
        published: iso(post.publishedAt),
        deleted: iso(post.deletedAt),
        author: post.author.name,
        tags: post.tags,
        excerpt: post.excerpt || undefined,
        url: url ?? undefined,
        uid: post.uid,
      }) + htmlToMarkdown(local);
    entries.push(
      { name: `${root}/${base}.md`, data: markdown, modifiedAt: post.updatedAt },
      { name: `${root}/${base}.html`, data: htmlDocument(post, local, settings.language), modifiedAt: post.updatedAt },
    );
    index.push({
      uid: post.uid,
      type: post.type,
      title: post.title,
      slug: post.slug,
      status: post.status,
      inTrash: post.deletedAt !== null,
      url,
      author: post.author,
      tags: post.tags,
      excerpt: post.excerpt,
      wordCount: post.wordCount,
      createdAt: iso(post.createdAt),
      updatedAt: iso(post.updatedAt),
      publishedAt: iso(post.publishedAt),
      significantUpdateAt: iso(post.significantUpdateAt),
      deletedAt: iso(post.deletedAt),
      savedVersions: post.revisions,
      files: { markdown: `${base}.md`, html: `${base}.html`, media: [...media].map((name) => `media/${name}`) },
      html,
    });
    if (post.deletedAt !== null) counts.trashed += 1;
    else if (post.type === 'page') counts.pages += 1;
    else counts.posts += 1;
  }

  const blog = {
    format: 'quire-export',
    version: 1,
    exportedAt: iso(now),
    blog: { ...settings, url: publicUrl },
    posts: index,
  };
  const readme = [
    `${settings.title} (${publicUrl}), exported ${iso(now)}: ${counts.posts} posts, ${counts.pages} pages, ${counts.trashed} in the trash.`,
    '',
    'posts/<slug>.md     each post as Markdown, with its title, dates, author and tags in front matter (Hugo, Jekyll, Eleventy)',
    'posts/<slug>.html   the same post as a web page that opens in any browser',
    'pages/              pages, the same way',
    'trash/              posts and pages in the trash',
    'media/              the pictures the posts show (the Markdown and HTML above point here)',
    'blog.json           the blog\'s settings and every post\'s facts and HTML, for programs',
    '',
    'A full backup, accounts included, is `npm run quire -- backup <file>` on the server.',
    '',
  ].join('\n');
  entries.unshift(
    { name: `${root}/README.txt`, data: readme },
    { name: `${root}/blog.json`, data: JSON.stringify(blog, null, 2) + '\n' },
  );
  const files: ArchiveSource[] = [...pictures]
    .sort()
    // A file removed since (an old upload cleaned up) is left out rather than failing the export.
    .map((name) => ({ name: `${root}/media/${name}`, path: path.join(mediaDir, name), skipIfMissing: true }));
  return { root, filename: `${root}.tar.gz`, entries: [...entries, ...files], ...counts };
}
