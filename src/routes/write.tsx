import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import { hashToken, randomToken } from '../auth/tokens.js';
import {
  authorForUser,
  countPreviewLinks,
  createDraft,
  getPost,
  getPostByPreviewTokenHash,
  getRevision,
  insertPreviewLink,
  listDashboardPosts,
  listRevisions,
  publishPost,
  restorePost,
  revokePreviewLinks,
  savePostContent,
  schedulePost,
  trashPost,
  unpublishPost,
  type Post,
} from '../db/posts.js';
import { syncPostMedia } from '../db/media.js';
import { chrome, readForm, renderPage } from '../lib/http.js';
import { prepareImages } from '../lib/media-store.js';
import { countWords, htmlToPlainText, sanitizePostHtml } from '../lib/sanitize.js';
import { cleanSlug } from '../lib/slug.js';
import { DashboardPage } from '../../views/dashboard.js';
import { EditorPage, type EditorProps } from '../../views/editor.js';
import { ErrorPage } from '../../views/error.js';
import { RevisionPage, RevisionsPage } from '../../views/revisions.js';
import { PostPage } from '../../views/public/post.js';
import { requireUser } from './guards.js';

const MAX_TITLE = 200;
const MAX_EXCERPT = 300;

/** The post if this person may edit it: owners any, writers their own. Others get a 404, not a hint. */
function editablePost(c: Context<AppEnv>, rawId: string): Post | null {
  const id = Number(rawId);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const post = getPost(c.var.deps.db, id);
  const user = c.var.user!;
  if (!post || (user.role !== 'owner' && post.author.userId !== user.id)) return null;
  return post;
}

function notFound(c: Context<AppEnv>) {
  return renderPage(
    c,
    ErrorPage({ chrome: chrome(c), status: 404, title: 'Post not found', message: 'This post does not exist, or it is not yours to edit.' }),
    404,
  );
}

/** What the editor sends, checked and cleaned; the HTML goes through the sanitizer here and only here. */
export function readPostContent(body: Record<string, unknown>, publicOrigin: string) {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const html = sanitizePostHtml(str(body.html), { publicOrigin });
  const text = htmlToPlainText(html);
  const tags = Array.isArray(body.tags) ? body.tags.map(str) : str(body.tags).split(',');
  return {
    title: str(body.title).replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE),
    slug: cleanSlug(str(body.slug)),
    excerpt: str(body.excerpt).replace(/\s+/g, ' ').trim().slice(0, MAX_EXCERPT),
    html,
    text,
    wordCount: countWords(text),
    tags,
  };
}

/** The editor's view of a post, sent after every save and with a conflict. */
function postState(post: Post) {
  return {
    id: post.id,
    revision: post.revision,
    title: post.title,
    slug: post.slug,
    excerpt: post.excerpt,
    html: post.html,
    tags: post.tags.map((t) => t.name),
    status: post.status,
    wordCount: post.wordCount,
    updatedAt: post.updatedAt,
  };
}

/** "2026-12-01T09:30" typed in the writer's time zone, plus their offset from UTC in minutes. */
export function parseLocalDateTime(value: string | undefined, offsetMinutes: string | undefined): number | null {
  const match = value?.match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/);
  const offset = Number(offsetMinutes ?? '0');
  if (!match || !Number.isInteger(offset) || Math.abs(offset) > 14 * 60) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi);
  // getTimezoneOffset() is minutes to add to local time to get UTC.
  return Number.isNaN(utc) ? null : utc + offset * 60_000;
}

export function writeRoutes() {
  const app = new Hono<AppEnv>();
  app.use('/write', requireUser);
  app.use('/write/*', requireUser);
  app.use('/api/posts/*', requireUser);

  const editor = (c: Context<AppEnv>, post: Post, extra: Partial<EditorProps> = {}, status = 200) => {
    const { db, config } = c.var.deps;
    return renderPage(
      c,
      EditorPage({ chrome: chrome(c), post, publicUrl: config.publicUrl, previewLinks: countPreviewLinks(db, post.id), ...extra }),
      status,
    );
  };

  // ── Dashboard ──────────────────────────────────────────────────────────────
  app.get('/write', (c) => {
    const user = c.var.user!;
    const query = (c.req.query('q') ?? '').slice(0, 200);
    const posts = listDashboardPosts(c.var.deps.db, { userId: user.role === 'owner' ? null : user.id, query });
    const messages: Record<string, string> = {
      deleted: 'The post was moved to the trash. You can restore it from there for 30 days.',
    };
    return renderPage(
      c,
      DashboardPage({ chrome: chrome(c), posts, query, showAuthors: user.role === 'owner', trash: false, message: messages[c.req.query('done') ?? ''] }),
    );
  });

  app.get('/write/trash', (c) => {
    const user = c.var.user!;
    const posts = listDashboardPosts(c.var.deps.db, { userId: user.role === 'owner' ? null : user.id, trash: true });
    return renderPage(c, DashboardPage({ chrome: chrome(c), posts, query: '', showAuthors: user.role === 'owner', trash: true }));
  });

  app.post('/write/new', (c) => {
    const { db, clock } = c.var.deps;
    const post = createDraft(db, authorForUser(db, c.var.user!), clock.now());
    return c.redirect(`/write/${post.id}`, 303);
  });

  // ── Editor ─────────────────────────────────────────────────────────────────
  app.get('/write/:id{[0-9]+}', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    const done: Record<string, string> = {
      published: 'Published. It is on the blog and in the feeds now.',
      unpublished: 'Unpublished: it is a draft again and no longer on the blog.',
      scheduled: 'Scheduled. It will appear at the time you chose, even if nobody is signed in.',
      restored: 'The earlier version was restored. The version it replaced is kept in the history.',
      'preview-off': 'Preview links turned off: they no longer work.',
      'restored-trash': 'The post is back from the trash.',
    };
    return editor(c, post, { message: done[c.req.query('done') ?? ''] });
  });

  // Autosave: JSON from static/editor.js. 409 on a conflict, with the other version, and nothing saved.
  app.post('/api/posts/:id{[0-9]+}', async (c) => {
    const { db, clock, config } = c.var.deps;
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return c.json({ error: 'missing', message: 'This post no longer exists (it may have been deleted).' }, 404);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = await c.req.json();
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return c.json({ error: 'bad-request', message: 'The save could not be read. Your text is still in the editor.' }, 400);
    }
    const baseRevision = Number(body.baseRevision);
    if (!Number.isSafeInteger(baseRevision)) {
      return c.json({ error: 'bad-request', message: 'The save did not say which version it was based on.' }, 400);
    }
    // Embedded (data:) images become files, and our images get width, height and srcset.
    const images = await prepareImages(typeof body.html === 'string' ? body.html : '', {
      db,
      dataDir: config.dataDir,
      now: clock.now(),
      userId: c.var.user!.id,
      publicOrigin: config.origin,
    });
    const content = readPostContent({ ...body, html: images.html }, config.origin);
    const result = savePostContent(db, {
      id: post.id,
      baseRevision,
      userId: c.var.user!.id,
      now: clock.now(),
      significant: body.significant === true,
      ...content,
    });
    if (!result.ok && result.reason === 'conflict') return c.json({ error: 'conflict', current: postState(result.current) }, 409);
    if (!result.ok) return c.json({ error: 'missing', message: 'This post no longer exists.' }, 404);
    // Which pictures the post (and its history) uses, so no other post's removal can delete them.
    syncPostMedia(db, post.id, clock.now());
    return c.json({ ok: true, post: postState(result.post) });
  });

  // ── Status changes (forms; the editor saves first) ────────────────────────
  app.post('/write/:id{[0-9]+}/publish', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    publishPost(c.var.deps.db, post.id, c.var.deps.clock.now());
    return c.redirect(`/write/${post.id}?done=published`, 303);
  });

  app.post('/write/:id{[0-9]+}/unpublish', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    unpublishPost(c.var.deps.db, post.id, c.var.deps.clock.now());
    return c.redirect(`/write/${post.id}?done=unpublished`, 303);
  });

  app.post('/write/:id{[0-9]+}/schedule', async (c) => {
    const { db, clock } = c.var.deps;
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    const form = await readForm(c);
    const at = parseLocalDateTime(form.publish_at, form.tz_offset);
    if (at === null) return editor(c, post, { error: 'Choose a date and time to publish at.' }, 400);
    if (at <= clock.now()) return editor(c, post, { error: 'That time has already passed. Choose a time in the future, or publish now.' }, 400);
    schedulePost(db, post.id, at, clock.now());
    return c.redirect(`/write/${post.id}?done=scheduled`, 303);
  });

  app.post('/write/:id{[0-9]+}/delete', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    trashPost(c.var.deps.db, post.id, c.var.deps.clock.now());
    return c.redirect('/write?done=deleted', 303);
  });

  app.post('/write/:id{[0-9]+}/restore', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post) return notFound(c);
    restorePost(c.var.deps.db, post.id, c.var.deps.clock.now());
    return c.redirect(`/write/${post.id}?done=restored-trash`, 303);
  });

  // ── Previews ───────────────────────────────────────────────────────────────
  app.post('/write/:id{[0-9]+}/preview-links', (c) => {
    const { db, clock, config } = c.var.deps;
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    // 160 bits, stored hashed like every other link secret; shown once.
    const token = randomToken(20);
    insertPreviewLink(db, post.id, hashToken(token), clock.now());
    return editor(c, post, { newPreviewLink: `${config.publicUrl}/preview/${token}`, message: 'Preview link created. Copy it now: it is shown only once.' }, 201);
  });

  app.post('/write/:id{[0-9]+}/preview-links/revoke', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post) return notFound(c);
    revokePreviewLinks(c.var.deps.db, post.id, c.var.deps.clock.now());
    return c.redirect(`/write/${post.id}?done=preview-off`, 303);
  });

  // A draft exactly as readers will see it.
  app.get('/write/:id{[0-9]+}/preview', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    return renderPage(
      c,
      PostPage({ chrome: chrome(c, { public: true }), publicUrl: c.var.deps.config.publicUrl, post, preview: { path: `/write/${post.id}/preview` } }),
    );
  });

  // A private preview link for a friend: no account needed, never indexed, dead once revoked.
  app.get('/preview/:token', (c) => {
    const { db, config } = c.var.deps;
    const token = c.req.param('token');
    const post = /^[A-Za-z0-9_-]{27}$/.test(token) ? getPostByPreviewTokenHash(db, hashToken(token)) : null;
    c.header('Cache-Control', 'private, no-store');
    c.header('X-Robots-Tag', 'noindex, nofollow');
    if (!post) {
      return renderPage(
        c,
        ErrorPage({
          chrome: chrome(c, { public: true }),
          status: 404,
          title: 'This preview link does not work',
          message: 'The writer may have turned it off, or the post was deleted. Ask them for a new link.',
        }),
        404,
      );
    }
    return renderPage(c, PostPage({ chrome: chrome(c, { public: true }), publicUrl: config.publicUrl, post, preview: { path: `/preview/${token}` } }));
  });

  // ── History ────────────────────────────────────────────────────────────────
  app.get('/write/:id{[0-9]+}/revisions', (c) => {
    const post = editablePost(c, c.req.param('id'));
    if (!post || post.deletedAt !== null) return notFound(c);
    return renderPage(c, RevisionsPage({ chrome: chrome(c), post, revisions: listRevisions(c.var.deps.db, post.id) }));
  });

  app.get('/write/:id{[0-9]+}/revisions/:rid{[0-9]+}', (c) => {
    const post = editablePost(c, c.req.param('id'));
    const revision = post ? getRevision(c.var.deps.db, post.id, Number(c.req.param('rid'))) : null;
    if (!post || !revision || post.deletedAt !== null) return notFound(c);
    return renderPage(c, RevisionPage({ chrome: chrome(c), post, revision }));
  });

  // Restoring is a save like any other: the current text stays in history, nothing is lost.
  app.post('/write/:id{[0-9]+}/revisions/:rid{[0-9]+}/restore', (c) => {
    const { db, clock } = c.var.deps;
    const post = editablePost(c, c.req.param('id'));
    const revision = post ? getRevision(db, post.id, Number(c.req.param('rid'))) : null;
    if (!post || !revision || post.deletedAt !== null) return notFound(c);
    const text = htmlToPlainText(revision.html);
    savePostContent(db, {
      id: post.id,
      baseRevision: post.revision,
      userId: c.var.user!.id,
      now: clock.now(),
      // A restore always starts its own history entry, so the replaced text stays one step back.
      newRevision: true,
      title: revision.title,
      slug: post.slug,
      excerpt: post.excerpt,
      html: revision.html,
      text,
      wordCount: countWords(text),
      tags: post.tags.map((t) => t.name),
    });
    return c.redirect(`/write/${post.id}?done=restored`, 303);
  });

  return app;
}
