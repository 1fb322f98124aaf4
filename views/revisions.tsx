import type { Post, Revision } from '../src/db/posts.js';
import { formatDateTime } from '../src/lib/time.js';
import { Layout, type Chrome } from './layout.js';
import { trustedHtml } from './raw.js';

export function RevisionsPage({ chrome, post, revisions }: { chrome: Chrome; post: Post; revisions: Revision[] }) {
  return (
    <Layout chrome={chrome} title={`History of “${post.title || 'Untitled'}”`} meta={{ noindex: true }}>
      <p>
        <a href={`/write/${post.id}`}>← Back to the editor</a>
      </p>
      <h1>History</h1>
      <p class="muted">Each entry is one writing session: the text as it was at the end of it.</p>
      {revisions.length === 0 ? (
        <p class="empty">No history yet: it starts with the first save.</p>
      ) : (
        <ol class="revisions">
          {revisions.map((revision, index) => (
            <li>
              <a href={`/write/${post.id}/revisions/${revision.id}`}>{formatDateTime(revision.savedAt)}</a>
              {index === 0 ? <span class="badge">Current</span> : null}
              <span class="muted">
                {' '}
                · {revision.title || 'Untitled'} · {revision.wordCount.toLocaleString('en')} words
                {revision.authorName ? ` · ${revision.authorName}` : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}

export function RevisionPage({ chrome, post, revision }: { chrome: Chrome; post: Post; revision: Revision }) {
  return (
    <Layout chrome={chrome} title={`Version of ${formatDateTime(revision.savedAt)}`} meta={{ noindex: true }}>
      <p>
        <a href={`/write/${post.id}/revisions`}>← All versions</a>
      </p>
      <div class="notice notice-info">
        <p>
          This is the version saved {formatDateTime(revision.savedAt)}
          {revision.authorName ? ` by ${revision.authorName}` : ''}. Restoring it replaces the current text; the current text stays in the
          history.
        </p>
        <form method="post" action={`/write/${post.id}/revisions/${revision.id}/restore`} class="inline">
          <button type="submit" class="primary">
            Restore this version
          </button>
        </form>
      </div>
      <article class="post">
        <h1>{revision.title || 'Untitled'}</h1>
        <div class="post-content">{trustedHtml(revision.html)}</div>
      </article>
    </Layout>
  );
}
