// The blog export's files: front matter no title can break, links that still work away from the blog.
import { describe, expect, it } from 'vitest';
import { authorForUser, createDraft, publishPost, savePostContent } from '../../src/db/posts.js';
import { insertUser } from '../../src/db/users.js';
import { absoluteLinks, buildBlogExport } from '../../src/ops/export.js';
import { makeApp } from '../helpers.js';

const ORIGIN = 'https://blog.example.org';

describe('blog export', () => {
  it('makes root-relative links and pictures absolute, and leaves other addresses alone', () => {
    const html =
      '<p><a href="/posts/other">in</a> <a href="https://x.example/a">out</a> <a href="//cdn.example/x">proto</a> <a href="#n">note</a></p>' +
      '<p><img src="/media/a.jpg" srcset="/media/a.jpg 1600w, /media/b.jpg 800w" alt="/media/not-a-link"></p>';
    expect(absoluteLinks(html, ORIGIN)).toBe(
      `<p><a href="${ORIGIN}/posts/other">in</a> <a href="https://x.example/a">out</a> <a href="//cdn.example/x">proto</a> <a href="#n">note</a></p>` +
        `<p><img src="${ORIGIN}/media/a.jpg" srcset="${ORIGIN}/media/a.jpg 1600w, ${ORIGIN}/media/b.jpg 800w" alt="/media/not-a-link"></p>`,
    );
  });

  it('writes front matter that survives quotes, colons, line breaks and "---" in titles', () => {
    const { db } = makeApp();
    const user = insertUser(db, { username: 'a-b-1', displayName: 'Ann "The Pen": Lee', role: 'owner', passwordHash: 'x', createdAt: 1 });
    const post = createDraft(db, authorForUser(db, user), 1000);
    const title = 'Colons: quotes " and \\ backslashes\n---\nnot: front matter';
    savePostContent(db, { id: post.id, baseRevision: post.revision, userId: user.id, now: 2000, title, slug: 'tricky', excerpt: '', html: '<p>Body</p>', text: 'Body', wordCount: 1, tags: ['a "b"'] });
    publishPost(db, post.id, 3000);
    const blog = buildBlogExport(db, ORIGIN, Date.UTC(2026, 10, 23), '/nonexistent');
    const md = (blog.entries.find((e) => e.name.endsWith('posts/tricky.md')) as { data: string }).data;
    const [, front, body] = md.split(/^---$/m);
    // Exactly one front matter block: the title's own "---" is inside a quoted string.
    expect(md.match(/^---$/gm)).toHaveLength(2);
    const fields = Object.fromEntries(
      front!
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(':')), JSON.parse(line.slice(line.indexOf(':') + 2)) as unknown]),
    );
    expect(fields).toMatchObject({ title, author: 'Ann "The Pen": Lee', tags: ['a "b"'], status: 'published', draft: false, url: `${ORIGIN}/posts/tricky` });
    expect(fields.published).toBe('1970-01-01T00:00:03.000Z');
    expect(body!.trim()).toBe('Body');
    expect(blog).toMatchObject({ posts: 1, pages: 0, trashed: 0, filename: 'quire-export-2026-11-23.tar.gz' });
  });
});
