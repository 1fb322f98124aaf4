import type { Post } from '../src/db/posts.js';
import { formatDateTime } from '../src/lib/time.js';
import { StatusBadge } from './dashboard.js';
import { trustedHtml } from './raw.js';
import { Layout, Notice, type Chrome } from './layout.js';

export interface EditorProps {
  chrome: Chrome;
  post: Post;
  publicUrl: string;
  previewLinks: number;
  /** A preview link just created: shown once. */
  newPreviewLink?: string;
  message?: string;
  error?: string;
}

export function EditorPage({ chrome, post, publicUrl, previewLinks, newPreviewLink, message, error }: EditorProps) {
  const livePath = post.type === 'page' ? `/${post.slug}` : `/posts/${post.slug}`;
  return (
    <Layout
      chrome={chrome}
      title={post.title ? `Editing “${post.title}”` : 'New post'}
      meta={{ noindex: true }}
      wide
      styles={[chrome.asset('vendor/quill.snow.css')]}
      scripts={[chrome.asset('vendor/quill.js'), chrome.asset('editor.js')]}
    >
      <div class="editor-head">
        <a href="/write">← All posts</a>
        <StatusBadge post={post} />
        <p id="save-status" class="save-status" role="status" aria-live="polite">
          Last saved {formatDateTime(post.updatedAt)}
        </p>
      </div>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div id="conflict" class="notice notice-error" role="alert" hidden>
        <p id="conflict-text">This post was changed somewhere else (another tab or device) since you opened it. Your text is kept here.</p>
        <p class="actions">
          <button type="button" class="secondary" id="conflict-theirs">
            Load the other version
          </button>
          <button type="button" class="primary" id="conflict-mine">
            Keep my version
          </button>
        </p>
      </div>
      <noscript>
        <Notice kind="error">The editor needs JavaScript. Your posts are safe; turn JavaScript on for this site to write.</Notice>
      </noscript>
      <form
        id="post-form"
        class="editor"
        data-post-id={String(post.id)}
        data-revision={String(post.revision)}
        data-status={post.status}
        data-slug-auto={post.status === 'draft' && post.slug.startsWith('draft-') ? 'true' : 'false'}
      >
        <label for="title" class="visually-hidden">
          Title
        </label>
        <input id="title" name="title" class="title-input" type="text" value={post.title} placeholder="Title" maxlength={200} autocomplete="off" />
        <div id="editor" class="content-editor" aria-label="Post text">
          {trustedHtml(post.html)}
        </div>
        <input type="file" id="image-input" accept="image/jpeg,image/png,image/webp,image/gif" multiple hidden />
        <div class="upload-area">
          <div id="uploads" aria-live="polite"></div>
          <div id="upload-error" class="notice notice-error" role="alert" hidden>
            <p id="upload-error-text"></p>
            <p class="actions">
              <button type="button" class="secondary" id="upload-error-close">
                OK
              </button>
            </p>
          </div>
        </div>
        <p class="muted small">
          Add pictures with the picture button, or paste or drop them into the text: JPEG, PNG, WebP or GIF, up to 15 MB. Location and camera
          details are removed. Double-click a picture to change its description.
        </p>
        <details class="post-settings">
          <summary>Address, excerpt and tags</summary>
          <label for="slug">Address</label>
          <div class="slug-row">
            <span class="muted">{publicUrl}/posts/</span>
            <input id="slug" name="slug" type="text" value={post.slug} maxlength={80} autocomplete="off" spellcheck={false} />
          </div>
          {post.status === 'published' ? (
            <p class="muted small">Changing the address of a published post keeps the old one working: it forwards readers to the new one.</p>
          ) : null}
          <label for="excerpt">Excerpt (optional)</label>
          <textarea id="excerpt" name="excerpt" maxlength={300} rows={2}>
            {post.excerpt}
          </textarea>
          <label for="tags">Tags, separated by commas</label>
          <input id="tags" name="tags" type="text" value={post.tags.map((t) => t.name).join(', ')} maxlength={500} autocomplete="off" />
        </details>
        {post.status === 'published' ? (
          <label class="checkbox">
            <input type="checkbox" id="significant" name="significant" value="1" /> This edit is a significant update (show “Updated” and
            tell feed readers). Leave it off for typo fixes.
          </label>
        ) : null}
        <p class="muted small" id="word-count">
          {post.wordCount.toLocaleString('en')} words
        </p>
      </form>

      <section class="post-actions" aria-label="Publishing">
        <h2 class="visually-hidden">Publishing</h2>
        {post.status === 'published' ? (
          <p>
            Live at <a href={livePath}>{publicUrl + livePath}</a> since {formatDateTime(post.publishedAt ?? post.updatedAt)}. Your edits
            update it as they save.
          </p>
        ) : null}
        <div class="action-row">
          {post.status !== 'published' ? (
            <form method="post" action={`/write/${post.id}/publish`} class="inline" data-save-first>
              <button type="submit" class="primary">
                Publish now
              </button>
            </form>
          ) : (
            <form method="post" action={`/write/${post.id}/unpublish`} class="inline" data-save-first>
              <button type="submit" class="secondary">
                Unpublish
              </button>
            </form>
          )}
          {post.status === 'scheduled' ? (
            <form method="post" action={`/write/${post.id}/unpublish`} class="inline" data-save-first>
              <button type="submit" class="secondary">
                Cancel schedule
              </button>
            </form>
          ) : null}
          <a class="button secondary" href={`/write/${post.id}/preview`}>
            Preview
          </a>
          <a class="button secondary" href={`/write/${post.id}/revisions`}>
            History
          </a>
        </div>
        {post.status !== 'published' ? (
          <form method="post" action={`/write/${post.id}/schedule`} class="inline-form" data-save-first>
            <label for="publish_at">Publish later, at</label>
            <input type="datetime-local" id="publish_at" name="publish_at" required />
            <input type="hidden" name="tz_offset" value="0" data-tz-offset />
            <button type="submit" class="secondary">
              Schedule
            </button>
          </form>
        ) : null}
        <div class="preview-share">
          <h3>Share a private preview</h3>
          <p class="muted small">Anyone with the link can read this post before it is published. Search engines are asked not to index it.</p>
          {newPreviewLink ? (
            <div class="copy-row">
              <input id="preview-link" type="text" value={newPreviewLink} readonly aria-label="Preview link" />
              <button type="button" class="secondary" data-copy="preview-link" hidden>
                Copy
              </button>
            </div>
          ) : null}
          <div class="action-row">
            <form method="post" action={`/write/${post.id}/preview-links`} class="inline">
              <button type="submit" class="secondary">
                Create a preview link
              </button>
            </form>
            {previewLinks > 0 ? (
              <form method="post" action={`/write/${post.id}/preview-links/revoke`} class="inline">
                <button type="submit" class="secondary danger">
                  Turn off {previewLinks === 1 ? 'the preview link' : `all ${previewLinks} preview links`}
                </button>
              </form>
            ) : null}
          </div>
        </div>
        <form
          method="post"
          action={`/write/${post.id}/delete`}
          class="inline delete-form"
          data-confirm="Move this post to the trash? It disappears from the blog now and can be restored from the trash for 30 days."
        >
          <button type="submit" class="link danger">
            Delete post
          </button>
        </form>
      </section>

      {/* Asked after each picture is added: alt text for readers who cannot see it. */}
      <dialog id="alt-dialog" class="alt-dialog" aria-labelledby="alt-title" aria-describedby="alt-help">
        <form method="dialog">
          <h2 id="alt-title">Describe this picture</h2>
          <img id="alt-preview" alt="" />
          <label for="alt-text">Description</label>
          <input id="alt-text" type="text" maxlength={500} autocomplete="off" />
          <p class="muted small" id="alt-help">
            What it shows, in a sentence, for readers who cannot see it (screen readers read it aloud). If it is only decoration, choose
            “No description”.
          </p>
          <p class="actions">
            <button type="submit" value="save" class="primary">
              Save description
            </button>{' '}
            <button type="submit" value="skip" class="secondary">
              No description
            </button>
          </p>
        </form>
      </dialog>
    </Layout>
  );
}
