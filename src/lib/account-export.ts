// "Download everything I wrote": one zip with every post as Markdown and HTML, every saved
// version of it, and the facts about each post as JSON, laid out so a person can browse it and
// a program can import it, with the pictures the posts show under media/.
import type { ExportPost } from '../db/account-data.js';
import { mediaNamesIn } from '../db/media.js';
import { postPath } from '../db/posts.js';
import type { User } from '../db/users.js';
import { createZip, type ArchiveEntry } from './archive.js';
import { htmlToMarkdown } from './markdown.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A complete HTML document around a post body (already sanitized when it was saved). */
function htmlDocument(title: string, body: string, language: string): string {
  return `<!DOCTYPE html>
<html lang="${escapeHtml(language)}">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title || 'Untitled')}</title>
</head>
<body>
<h1>${escapeHtml(title || 'Untitled')}</h1>
${body}
</body>
</html>
`;
}

/** Our pictures ("/media/<name>") pointed at the archive's media/ folder, `up` folders above. */
function localPictures(html: string, up: number): string {
  return html.replace(/(["\s,])\/media\/(?=[0-9a-f]{32}\.(?:jpg|png|webp|gif)\b)/g, `$1${'../'.repeat(up)}media/`);
}

function markdownDocument(title: string, body: string): string {
  const heading = title.trim() ? `# ${title.trim().replace(/([\\`*_[\]<>])/g, '\\$1')}\n\n` : '';
  return heading + htmlToMarkdown(body);
}

/** A folder name that is safe everywhere; slugs already are, but this does not rely on it. */
function folderName(post: ExportPost, index: number): string {
  const slug = post.slug.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'untitled';
  return `${String(index + 1).padStart(3, '0')}-${slug}`;
}

/** "2026-11-23T09-05-00Z": an ISO time that is also a valid file name on Windows. */
function fileTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

export interface AccountExport {
  filename: string;
  data: Buffer;
}

export function buildAccountExport(
  user: Pick<User, 'username' | 'displayName' | 'role' | 'createdAt'>,
  posts: ExportPost[],
  site: { title: string; language: string; publicUrl: string },
  now: number,
  /** A picture's bytes by file name, or null if it is gone. */
  readMedia: (name: string) => Uint8Array | null,
): AccountExport {
  const root = `quire-${user.username}-${new Date(now).toISOString().slice(0, 10)}`;
  const entries: ArchiveEntry[] = [];
  const index: Record<string, unknown>[] = [];
  const pictures = new Set<string>();

  posts.forEach((post, i) => {
    for (const html of [post.html, ...post.revisions.map((r) => r.html)]) for (const name of mediaNamesIn(html)) pictures.add(name);
    const folder = `${root}/posts/${folderName(post, i)}`;
    const revisions = post.revisions.map((revision, n) => {
      const base = `revisions/${String(n + 1).padStart(3, '0')}-${fileTime(revision.savedAt)}`;
      entries.push(
        { name: `${folder}/${base}.md`, data: markdownDocument(revision.title, localPictures(revision.html, 3)), modifiedAt: revision.savedAt },
        { name: `${folder}/${base}.html`, data: htmlDocument(revision.title, localPictures(revision.html, 3), site.language), modifiedAt: revision.savedAt },
      );
      return {
        number: n + 1,
        title: revision.title,
        wordCount: revision.wordCount,
        startedAt: iso(revision.startedAt),
        savedAt: iso(revision.savedAt),
        markdown: `${base}.md`,
        html: `${base}.html`,
      };
    });
    const metadata = {
      uid: post.uid,
      type: post.type,
      title: post.title,
      slug: post.slug,
      status: post.status,
      inTrash: post.deletedAt !== null,
      byline: post.byline,
      tags: post.tags,
      excerpt: post.excerpt,
      wordCount: post.wordCount,
      createdAt: iso(post.createdAt),
      updatedAt: iso(post.updatedAt),
      publishedAt: iso(post.publishedAt),
      significantUpdateAt: iso(post.significantUpdateAt),
      deletedAt: iso(post.deletedAt),
      url: post.status === 'published' && post.deletedAt === null ? site.publicUrl + postPath(post) : null,
      files: { markdown: 'post.md', html: 'post.html' },
      revisions,
    };
    entries.push(
      { name: `${folder}/post.md`, data: markdownDocument(post.title, localPictures(post.html, 2)), modifiedAt: post.updatedAt },
      { name: `${folder}/post.html`, data: htmlDocument(post.title, localPictures(post.html, 2), site.language), modifiedAt: post.updatedAt },
      { name: `${folder}/post.json`, data: JSON.stringify(metadata, null, 2) + '\n', modifiedAt: post.updatedAt },
    );
    index.push({ folder: `posts/${folderName(post, i)}`, title: post.title, status: post.status, inTrash: post.deletedAt !== null });
  });

  const account = {
    exportedAt: iso(now),
    blog: { title: site.title, url: site.publicUrl },
    account: { username: user.username, displayName: user.displayName, role: user.role, joinedAt: iso(user.createdAt) },
    posts: index,
  };
  const readme = [
    `Everything ${user.displayName} wrote on ${site.title} (${site.publicUrl}), exported ${iso(now)}.`,
    '',
    'posts/<number>-<slug>/post.md     the post as Markdown (opens in any text editor)',
    'posts/<number>-<slug>/post.html   the post as a web page (opens in any browser)',
    'posts/<number>-<slug>/post.json   title, status, dates, tags and the list of saved versions',
    'posts/<number>-<slug>/revisions/  every saved version, oldest first, in both formats',
    'media/                            the pictures in your posts (the files above point here)',
    'account.json                      your account and a list of the posts',
    '',
  ].join('\n');
  entries.unshift(
    { name: `${root}/README.txt`, data: readme },
    { name: `${root}/account.json`, data: JSON.stringify(account, null, 2) + '\n' },
  );
  for (const name of [...pictures].sort()) {
    const data = readMedia(name);
    if (data) entries.push({ name: `${root}/media/${name}`, data });
  }
  return { filename: `${root}.zip`, data: createZip(entries, now) };
}
